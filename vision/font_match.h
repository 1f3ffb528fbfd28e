// Reading a code by rendering the program's own font and comparing pixel for pixel (what RPA tools call font
// recognition: Blue Prism's "recognise text" with the application's font). Not part of the room's interface:
// read_field uses it when the code's pattern fixes one set of characters per position.
#pragma once

#include <opencv2/core.hpp>

#include <optional>
#include <string>
#include <vector>

namespace dockhand::vision::detail {

struct FontReading {
  std::string text;
  double residual = 0;   // squared coverage difference between the field and the text rendered, summed (pixels)
  double runner_up = 0;  // the same for the best rendering of a different text (a large number if none)
  double ink = 0;        // the field's own ink: squared coverage summed (pixels)
  int pixel_size = 0;    // the font size the text matched at
};

// `coverage`: CV_32F, 0 = paper .. 1 = ink, the text line with a little paper around it.
// `positions`: the characters allowed at each position. `font_file`: a TrueType/OpenType file.
// Returns the best rendering found, or nullopt when the font cannot be loaded, a character has no glyph, no size of
// the font has the text's height, or every rendering leaves more than `max_unexplained` of the field's ink
// unexplained (the field is not written in this font: the search gives up early).
std::optional<FontReading> read_in_font(const cv::Mat& coverage, const std::vector<std::string>& positions,
                                        const std::string& font_file, double max_unexplained = 0.1);

// The font read_field uses when none is given: the simulated programs' UI font (DejaVu Sans, Xft's "sans").
const std::string& default_ui_font();

}  // namespace dockhand::vision::detail
