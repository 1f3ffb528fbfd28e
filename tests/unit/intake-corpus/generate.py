#!/usr/bin/env python3
"""Writes a generated email corpus: routing requests in many layouts, phrasings, label synonyms, value
formats, encodings, reply/forward wrappings and attachments (CSV, PDF, XLSX), each NAME.eml with NAME.json
(the fields it must extract, in the format of tests/fixtures/emails), plus near-miss mail that is not a
routing request. Seeded: the same --seed writes the same bytes.

    generate.py --out DIR [--seed N] [--count N]
"""
import argparse, base64, datetime, io, json, os, quopri, random, zipfile
from email.utils import format_datetime

FCS = ["ABE8", "ONT8", "TEB9", "LGB3", "KRB1", "MDW2", "BFI4", "SBD1", "PHX6", "DFW7", "ATL6", "CLT2", "IND9",
       "MQJ1", "SAV3", "GYR3", "RDU1", "SCK4", "TPA1", "JAX3"]
SHIP_FROM_CODES = ["ORL1", "DCX2", "WH01", "NJ-3", "CHI4", "ATL-DC", "RENO2", "LAX9"]
SHIP_FROM_TEXT = ["Acme Widgets DC, Orlando FL", "Brightpeak Warehouse - Reno NV", "Main St Fulfillment, Dallas TX"]
PEOPLE = [("Dana Ruiz", "acme-widgets"), ("Sam Lee", "brightpeak"), ("Ana Souza", "tecelagem"), ("Jose Pena", "cafe-norte"),
          ("Kim Park", "hanbit-goods"), ("Lee Chen", "bluefin-home")]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

# Label synonyms the generator writes (the reader must know them all, from its own table).
L_PO = ["PO", "PO#", "P.O.", "PO Number", "Purchase Order", "PO No.", "Amazon PO"]
L_FC = ["Destination FC", "FC", "Destination", "Ship To", "Fulfillment Center", "Ship-to FC", "Dest FC"]
L_WIN = ["Ship Window", "Delivery Window", "Shipping Window", "Window", "Pickup Window"]
L_READY = ["Freight Ready Date", "Cargo Ready Date", "Ready Date", "Freight Ready", "Cargo Ready", "Ready"]
L_FROM = ["Ship From", "Origin", "Pickup Location", "Ship-from", "Shipping From"]
L_VENDOR = ["Vendor Code", "Vendor", "Vendor ID"]
L_CTN = ["Cartons", "Cases", "Boxes", "Ctns", "Carton Count"]
L_PLT = ["Pallets", "Skids", "Plts", "Pallet Count"]
L_WT = ["Weight", "Wt", "Gross Weight", "Total Weight"]
CTN_UNITS = ["cartons", "cases", "boxes", "ctns"]
PLT_UNITS = ["pallets", "skids", "plts"]


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def pick(self, xs):
        return xs[self.r.randrange(len(xs))]

    # ---- values ------------------------------------------------------------------------------------------
    def po_number(self):
        alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
        while True:
            s = "".join(self.pick(alphabet) for _ in range(8))
            if any(c.isdigit() for c in s) and sum(c.isalpha() for c in s) >= 2:
                return s

    def vendor(self):
        return "".join(self.pick("BCDFGHJKLMNPQRSTVWXZ") for _ in range(5))

    def request(self):
        email_date = datetime.datetime(2026, 1, 5, 9, 0) + datetime.timedelta(days=self.r.randrange(700),
                                                                              minutes=self.r.randrange(600))
        n = self.pick([1, 1, 2, 2, 3, 4])
        ready = email_date.date() + datetime.timedelta(days=self.r.randrange(1, 12))
        pos = []
        for _ in range(n):
            start = ready + datetime.timedelta(days=self.r.randrange(0, 4))
            kg = self.r.random() < 0.15
            weight_raw = round(self.r.uniform(20, 4000), self.pick([0, 0, 1, 2]))
            pos.append({"po": self.po_number(), "fc": self.pick(FCS), "start": start,
                        "end": start + datetime.timedelta(days=self.r.randrange(3, 9)),
                        "cartons": self.pick([self.r.randrange(1, 60), self.r.randrange(60, 900), self.r.randrange(1000, 3000)]),
                        "pallets": self.r.randrange(1, 26), "weight_raw": weight_raw, "kg": kg})
        code = self.r.random() < 0.8
        return {"date": email_date, "vendor": self.vendor(), "ready": ready, "pos": pos,
                "ship_from": self.pick(SHIP_FROM_CODES) if code else self.pick(SHIP_FROM_TEXT)}

    def date(self, d, ctx_year, style=None):
        style = style or self.pick(["iso", "us", "us_short", "us2", "mon", "month_full", "day_month", "weekday",
                                    "mon_noyear", "ordinal"])
        if style == "iso": return d.isoformat()
        if style == "us": return f"{d.month:02d}/{d.day:02d}/{d.year}"
        if style == "us_short": return f"{d.month}/{d.day}/{d.year}"
        if style == "us2": return f"{d.month}/{d.day}/{d.year % 100:02d}"
        if style == "mon": return f"{MONTHS[d.month - 1][:3]} {d.day}, {d.year}"
        if style == "month_full": return f"{MONTHS[d.month - 1]} {d.day}, {d.year}"
        if style == "day_month": return f"{d.day} {MONTHS[d.month - 1]} {d.year}"
        if style == "weekday": return f"{WEEKDAYS[d.weekday()]}, {MONTHS[d.month - 1][:3]} {d.day}"
        if style == "mon_noyear": return f"{MONTHS[d.month - 1][:3]} {d.day}"
        if style == "ordinal":
            suffix = "th" if 11 <= d.day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(d.day % 10, "th")
            return f"{MONTHS[d.month - 1]} {d.day}{suffix}"
        raise ValueError(style)

    def window(self, p, year):
        style = self.pick(["dash", "dash", "to", "between", "from_until", "through", "day_range"])
        if style == "day_range" and p["start"].month == p["end"].month:
            return f"{MONTHS[p['start'].month - 1][:3]} {p['start'].day}-{p['end'].day}"
        ds = self.pick(["iso", "us", "us_short", "mon", "day_month", "mon_noyear", "weekday", "us2"])
        a, b = self.date(p["start"], year, ds), self.date(p["end"], year, ds)
        if style in ("dash", "day_range"): return f"{a} {self.pick(['-', '-', chr(0x2013)])} {b}"
        if style == "to": return f"{a} to {b}"
        if style == "between": return f"between {a} and {b}"
        if style == "from_until": return f"from {a} until {b}"
        return f"{a} through {b}"

    def number(self, n):
        return f"{n:,}" if n >= 1000 and self.r.random() < 0.7 else str(n)

    def weight(self, p, unit_style=None):
        v = p["weight_raw"]
        text = f"{v:,}" if v >= 1000 and self.r.random() < 0.6 else f"{v}"
        if text.endswith(".0"): text = text[:-2]
        unit = "kg" if p["kg"] else self.pick(["lb", "lbs", "pounds", "LBS"])
        return f"{text} {unit}"

    # ---- bodies ------------------------------------------------------------------------------------------
    def header_fields(self, q, sep=": "):
        y = q["date"].year
        lines = [f"{self.pick(L_VENDOR)}{sep}{q['vendor']}", f"{self.pick(L_FROM)}{sep}{q['ship_from']}",
                 f"{self.pick(L_READY)}{sep}{self.date(q['ready'], y)}"]
        self.r.shuffle(lines)
        return lines

    def layout_blocks(self, q):
        y = q["date"].year
        out = self.header_fields(q) + [""]
        for p in q["pos"]:
            po = p["po"] if self.r.random() < 0.85 else p["po"].lower()
            out += [f"{self.pick(L_PO)}: {po}", f"{self.pick(L_FC)}: {p['fc']}", f"{self.pick(L_WIN)}: {self.window(p, y)}",
                    f"{self.pick(L_CTN)}: {self.number(p['cartons'])}", f"{self.pick(L_PLT)}: {p['pallets']}",
                    f"{self.pick(L_WT)}: {self.weight(p)}", ""]
        return out

    def layout_multifield(self, q):
        y = q["date"].year
        out = [f"{self.pick(L_VENDOR)}: {q['vendor']}    {self.pick(L_FROM)}: {q['ship_from'] if ' ' not in q['ship_from'] else 'ORL1'}",
               f"{self.pick(L_READY)}: {self.date(q['ready'], y)}", ""]
        if " " in q["ship_from"]: q["ship_from"] = "ORL1"
        for p in q["pos"]:
            out.append(f"{self.pick(L_PO)}: {p['po']}   {self.pick(L_FC)}: {p['fc']}   {self.pick(L_WIN)}: {self.window(p, y)}")
            out.append(f"{self.pick(L_CTN)}: {self.number(p['cartons'])}  {self.pick(L_PLT)}: {p['pallets']}  {self.pick(L_WT)}: {self.weight(p)}")
            out.append("")
        return out

    def layout_sentences(self, q):
        y = q["date"].year
        sf = q["ship_from"] if " " not in q["ship_from"] else "ORL1"
        q["ship_from"] = sf
        out = [self.pick([f"Freight will be ready on {self.date(q['ready'], y)}, shipping from {sf}, vendor code {q['vendor']}.",
                          f"Our vendor code is {q['vendor']}; cargo ready {self.date(q['ready'], y)}. Ship from: {sf}."]), ""]
        for p in q["pos"]:
            out.append(self.pick([
                f"PO {p['po']} goes to {p['fc']} with {self.number(p['cartons'])} {self.pick(CTN_UNITS)} on {p['pallets']} {self.pick(PLT_UNITS)} ({self.weight(p)}), ship window {self.window(p, y)}.",
                f"- P.O. {p['po']} to {p['fc']}, {self.number(p['cartons'])} {self.pick(CTN_UNITS)}, {p['pallets']} {self.pick(PLT_UNITS)}, {self.weight(p)}, delivery window {self.window(p, y)}",
                f"Purchase order {p['po']}: {self.number(p['cartons'])} {self.pick(CTN_UNITS)} / {p['pallets']} {self.pick(PLT_UNITS)} / {self.weight(p)}, for FC {p['fc']}, window {self.window(p, y)}."]))
        return out

    def layout_line_per_po(self, q):
        y = q["date"].year
        sep = self.pick([" - ", ", ", " | ", "\t"])
        out = self.header_fields(q) + ["", "Please route the following:"]
        for p in q["pos"]:
            ds = self.pick(["iso", "us", "us_short", "mon"])
            parts = [p["po"], p["fc"], f"{self.number(p['cartons'])} {self.pick(CTN_UNITS)}", f"{p['pallets']} {self.pick(PLT_UNITS)}",
                     self.weight(p), f"{self.date(p['start'], y, ds)} to {self.date(p['end'], y, ds)}"]
            out.append(sep.join(parts))
        return out

    def shared_for_all(self, q):
        # FC and window stated once "for all of them"; quantities per PO
        y = q["date"].year
        p0 = q["pos"][0]
        for p in q["pos"]:
            p["fc"], p["start"], p["end"] = p0["fc"], p0["start"], p0["end"]
        out = self.header_fields(q) + [""]
        out.append(self.pick([f"All POs go to {p0['fc']}, ship window {self.window(p0, y)} for all of them.",
                              f"{self.pick(L_FC)}: {p0['fc']} (all POs)", ]))
        if not out[-1].startswith("All"):
            out.append(f"{self.pick(L_WIN)} for all of them: {self.window(p0, y)}")
        out.append("")
        for p in q["pos"]:
            out.append(f"{self.pick(L_PO)} {p['po']}: {self.number(p['cartons'])} {self.pick(CTN_UNITS)}, {p['pallets']} {self.pick(PLT_UNITS)}, {self.weight(p)}")
        return out

    def table_rows(self, q, date_style=None):
        y = q["date"].year
        split = self.r.random() < 0.5
        head = [self.pick(["PO", "PO #", "PO Number", "Purchase Order"]), self.pick(["FC", "Destination FC", "Ship To"])]
        head += [self.pick(["Ship Window Start", "Window Start", "Earliest Ship Date"]),
                 self.pick(["Ship Window End", "Window End", "Latest Ship Date"])] if split else [self.pick(L_WIN)]
        kg = any(p["kg"] for p in q["pos"])
        head += [self.pick(["Cartons", "Cases", "Ctns", "Boxes"]), self.pick(["Pallets", "Skids", "Plts"]),
                 "Weight (kg)" if kg else self.pick(["Weight (lb)", "Weight", "Gross Wt", "Weight lbs"])]
        rows = [head]
        ds = date_style or self.pick(["iso", "us", "us_short", "mon", "us2"])
        for p in q["pos"]:
            w = f"{p['weight_raw']:,}" if p["weight_raw"] >= 1000 and self.r.random() < 0.5 else f"{p['weight_raw']}"
            if w.endswith(".0"): w = w[:-2]
            p["kg"] = kg  # the column's unit is every row's unit
            row = [p["po"], p["fc"]]
            row += [self.date(p["start"], y, ds), self.date(p["end"], y, ds)] if split else \
                [f"{self.date(p['start'], y, ds)} - {self.date(p['end'], y, ds)}"]
            row += [self.number(p["cartons"]), str(p["pallets"]), w]
            rows.append(row)
        return rows

    def layout_text_table(self, q):
        rows = self.table_rows(q)
        style = self.pick(["pipe", "tab", "aligned"])
        out = self.header_fields(q) + [""]
        if style == "pipe":
            out += ["| " + " | ".join(r) + " |" for r in rows[:1]] + ["|" + "|".join("---" for _ in rows[0]) + "|"]
            out += ["| " + " | ".join(r) + " |" for r in rows[1:]]
        elif style == "tab":
            out += ["\t".join(r) for r in rows]
        else:
            widths = [max(len(r[c]) for r in rows) + 3 for c in range(len(rows[0]))]
            out += ["".join(cell.ljust(widths[c]) for c, cell in enumerate(r)).rstrip() for r in rows]
        return out

    def html_body(self, q):
        y = q["date"].year
        kind = self.pick(["table", "kv", "dl", "nested"])
        intro = "<p>Hello team,</p><p>Please submit the routing request below.</p>"
        hf = [(self.pick(L_VENDOR), q["vendor"]), (self.pick(L_FROM), q["ship_from"]), (self.pick(L_READY), self.date(q["ready"], y))]
        if kind == "dl":
            items = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in hf)
            for p in q["pos"]:
                items += "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in [
                    (self.pick(L_PO), p["po"]), (self.pick(L_FC), p["fc"]), (self.pick(L_WIN), self.window(p, y)),
                    (self.pick(L_CTN), self.number(p["cartons"])), (self.pick(L_PLT), p["pallets"]), (self.pick(L_WT), self.weight(p))])
            return f"<html><body>{intro}<dl>{items}</dl><p>Thanks</p></body></html>"
        kv = "<table border=1>" + "".join(f"<tr><td><b>{k}</b></td><td>{v}</td></tr>" for k, v in hf) + "</table>"
        if kind == "kv":
            blocks = ""
            for p in q["pos"]:
                blocks += "<table border=1>" + "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in [
                    (self.pick(L_PO), p["po"]), (self.pick(L_FC), p["fc"]), (self.pick(L_WIN), self.window(p, y)),
                    (self.pick(L_CTN), self.number(p["cartons"])), (self.pick(L_PLT), p["pallets"]), (self.pick(L_WT), self.weight(p))]) + "</table><br>"
            return f"<html><body>{intro}{kv}<br>{blocks}</body></html>"
        rows = self.table_rows(q)
        table = "<table class=MsoTableGrid border=1>" + "".join(
            "<tr>" + "".join(f"<td><p class=MsoNormal>{'<b>' if i == 0 else ''}{c}{'</b>' if i == 0 else ''}</p></td>" for c in r) + "</tr>"
            for i, r in enumerate(rows)) + "</table>"
        if kind == "nested":
            return (f"<html><body><table width='100%'><tr><td align=center><table width=600><tr><td>{intro}{kv}"
                    f"<br>{table}<p>Regards</p></td></tr></table></td></tr></table></body></html>")
        return f"<html><body>{intro}{kv}<br>{table}</body></html>"

    # ---- attachments -------------------------------------------------------------------------------------
    def csv_bytes(self, q):
        rows = self.table_rows(q)
        sep = self.pick([",", ",", ";"])
        def cell(c):
            return f'"{c}"' if (sep in c or '"' in c) else c
        return ("\r\n".join(sep.join(cell(c) for c in r) for r in rows) + "\r\n").encode()

    def xlsx_bytes(self, q):
        rows = self.table_rows(q, date_style="iso")
        serial_dates = self.r.random() < 0.6
        def col(i):
            return chr(ord("A") + i)
        strings, sheet = [], []
        for ri, r in enumerate(rows, start=1):
            cells = []
            for ci, v in enumerate(r):
                ref = f"{col(ci)}{ri}"
                num = v.replace(",", "")
                if ri > 1 and serial_dates and len(v) == 10 and v[4] == "-":
                    d = datetime.date.fromisoformat(v)
                    cells.append(f'<c r="{ref}" s="1"><v>{(d - datetime.date(1899, 12, 30)).days}</v></c>')
                elif ri > 1 and num.replace(".", "", 1).isdigit():
                    cells.append(f'<c r="{ref}"><v>{num}</v></c>')
                else:
                    strings.append(v)
                    cells.append(f'<c r="{ref}" t="s"><v>{len(strings) - 1}</v></c>')
            sheet.append(f'<row r="{ri}">{"".join(cells)}</row>')
        ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
        rel = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
        files = {
            "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
            "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
            "xl/workbook.xml": f'<?xml version="1.0" encoding="UTF-8"?><workbook {ns} {rel}><sheets><sheet name="Routing" sheetId="1" r:id="rId1"/></sheets></workbook>',
            "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
            "xl/worksheets/sheet1.xml": f'<?xml version="1.0" encoding="UTF-8"?><worksheet {ns}><sheetData>{"".join(sheet)}</sheetData></worksheet>',
            "xl/sharedStrings.xml": f'<?xml version="1.0" encoding="UTF-8"?><sst {ns} count="{len(strings)}" uniqueCount="{len(strings)}">'
            + "".join(f"<si><t>{s}</t></si>" for s in strings) + "</sst>",
        }
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for name, text in files.items():
                info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, text)
        return buf.getvalue()

    def pdf_bytes(self, q):
        """A one-page PDF: header fields as lines, then the table with each column at its own x."""
        y0 = q["date"].year
        lines = [[(50, f"{k}: {v}")] for k, v in [(self.pick(L_VENDOR), q["vendor"]), (self.pick(L_FROM), q["ship_from"]),
                                                  (self.pick(L_READY), self.date(q["ready"], y0, "us"))]]
        lines.append([])
        rows = self.table_rows(q, date_style="us")
        xs, x = [], 50
        for c in range(len(rows[0])):
            xs.append(x)
            x += max(len(r[c]) for r in rows) * 6 + 28
        for r in rows:
            lines.append([(xs[c], v) for c, v in enumerate(r)])
        ops = ["BT", "/F1 9 Tf"]
        y = 760
        for line in lines:
            for xpos, text in line:
                t = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
                ops.append(f"1 0 0 1 {xpos} {y} Tm ({t}) Tj")
            y -= 16
        ops.append("ET")
        stream = "\n".join(ops).encode("latin-1")
        width = max(612, x + 40)
        objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".encode(),
                b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
                b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"]
        out = bytearray(b"%PDF-1.4\n")
        offsets = []
        for i, o in enumerate(objs, start=1):
            offsets.append(len(out))
            out += f"{i} 0 obj\n".encode() + o + b"\nendobj\n"
        xref = len(out)
        out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
        for off in offsets:
            out += f"{off:010d} 00000 n \n".encode()
        out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
        return bytes(out)

    # ---- the message -------------------------------------------------------------------------------------
    def headers(self, q, subject, extra=""):
        name, dom = self.pick(PEOPLE)
        frm = f"{name} <{name.split()[0].lower()}@{dom}.example>"
        return (f"From: {frm}\r\nTo: routing@dockhand-3pl.example\r\nSubject: {subject}\r\n"
                f"Date: {format_datetime(q['date'].replace(tzinfo=datetime.timezone(datetime.timedelta(hours=-5))))}\r\n"
                f"Message-ID: <{self.r.getrandbits(64):016x}@{dom}.example>\r\nMIME-Version: 1.0\r\n{extra}")

    def text_part(self, text, charset=None, encoding=None):
        charset = charset or self.pick(["utf-8", "utf-8", "iso-8859-1", "windows-1252"])
        encoding = encoding or self.pick(["8bit", "quoted-printable", "base64", "7bit"])
        raw = text.replace("\n", "\r\n").encode(charset, errors="replace")
        if encoding == "7bit" and any(b > 127 for b in raw): encoding = "quoted-printable"
        if encoding == "quoted-printable":
            body = quopri.encodestring(raw).decode("ascii")
            # long lines get soft breaks ("=\r\n") from the encoder; make sure some are there
        elif encoding == "base64":
            body = base64.encodebytes(raw).decode("ascii").replace("\n", "\r\n")
        else:
            body = raw.decode("latin-1")  # the raw bytes, one char each (the file is written byte for byte)
        return f"Content-Type: text/plain; charset={charset}\r\nContent-Transfer-Encoding: {encoding}\r\n\r\n", body, charset

    def subject(self, q):
        pos = " ".join(p["po"] for p in q["pos"])
        return self.pick([f"Routing request - PO {pos}", "Routing Request", f"RR: {q['vendor']} freight ready",
                          "Please route - freight ready", f"Routing request for vendor {q['vendor']}",
                          f"Request routing POs {', '.join(p['po'] for p in q['pos'])}"])

    def wrap(self, body_lines, q):
        kind = self.pick(["none", "none", "none", "reply", "forward"])
        greeting = self.pick(["Hi team,", "Hello,", "Good morning,", "Hi Dockhand,"])
        ask = self.pick(["Please submit a routing request for the POs below.", "Please route the freight below.",
                         "Routing request below, thank you.", "The following freight is ready, please request routing."])
        sig = self.pick(["Thanks,\nDana\nAcme Logistics | +1 (555) 201-7788",
                         "Regards,\nSam Lee\nBrightpeak Warehouse\n-- \nSent from my phone",
                         "Saludos, Jos\u00e9", "Best,\nKim"])
        inner = [greeting, "", ask, ""] + body_lines + ["", sig]
        if kind == "reply":
            d = q["date"] - datetime.timedelta(days=1)
            return ["Adding the details you asked for, see below.", "", f"On {d.strftime('%a, %b %d, %Y at %I:%M %p')} Dockhand <routing@dockhand-3pl.example> wrote:"] + \
                   ["> " + l if l else ">" for l in inner]
        if kind == "forward":
            return ["FYI - please handle.", "", "---------- Forwarded message ---------", "From: Vendor Ops <ops@vendor.example>",
                    f"Date: {q['date'].strftime('%a, %b %d, %Y')}", "Subject: Routing request", "To: Dana <dana@acme.example>", ""] + inner
        return inner

    def expected(self, q):
        pos = []
        for p in q["pos"]:
            w = p["weight_raw"]
            if p["kg"]:
                w = round(w * 2.2046226218 * 10 + 1e-9) / 10
            pos.append({"po": p["po"].upper(), "destination_fc": p["fc"], "ship_window_start": p["start"].isoformat(),
                        "ship_window_end": p["end"].isoformat(), "cartons": p["cartons"], "pallets": p["pallets"],
                        "weight_lb": w})
        return {"classification": "amazon_routing_request", "vendor_code": q["vendor"], "ship_from": q["ship_from"],
                "freight_ready_date": q["ready"].isoformat(), "purchase_orders": pos, "needs_attention": False}

    def routing_email(self):
        q = self.request()
        layout = self.pick(["blocks", "multifield", "sentences", "line_per_po", "shared", "text_table", "html",
                            "csv", "xlsx", "pdf"])
        if layout == "shared" and len(q["pos"]) < 2: layout = "blocks"
        subject = self.subject(q)
        if layout == "html":
            html = self.html_body(q)
            enc = self.pick(["quoted-printable", "base64", "8bit"])
            raw = html.encode("utf-8")
            body = quopri.encodestring(raw).decode() if enc == "quoted-printable" else \
                base64.encodebytes(raw).decode().replace("\n", "\r\n") if enc == "base64" else raw.decode("latin-1")
            b = "alt-" + str(self.r.getrandbits(32))
            text_alt = "Please see the HTML version of this routing request."
            msg = self.headers(q, subject, f'Content-Type: multipart/alternative; boundary="{b}"\r\n') + "\r\n" + \
                f"--{b}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text_alt}\r\n" + \
                f"--{b}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: {enc}\r\n\r\n{body}\r\n--{b}--\r\n"
            return layout, msg, self.expected(q)
        if layout in ("csv", "xlsx", "pdf"):
            data = {"csv": self.csv_bytes, "xlsx": self.xlsx_bytes, "pdf": self.pdf_bytes}[layout](q)
            ctype = {"csv": "text/csv", "pdf": "application/pdf",
                     "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}[layout]
            if self.r.random() < 0.25: ctype = "application/octet-stream"
            fname = f"routing_{q['vendor']}.{layout}"
            y = q["date"].year
            note = self.wrap(["Details are in the attached file."], q) if layout == "pdf" else \
                self.wrap([f"{self.pick(L_VENDOR)}: {q['vendor']}", f"{self.pick(L_FROM)}: {q['ship_from']}",
                           f"{self.pick(L_READY)}: {self.date(q['ready'], y)}", "POs in the attached file."], q)
            hdr_part, body, _ = self.text_part("\n".join(note), charset="utf-8")
            b = "mix-" + str(self.r.getrandbits(32))
            att = base64.encodebytes(data).decode().replace("\n", "\r\n")
            msg = self.headers(q, subject, f'Content-Type: multipart/mixed; boundary="{b}"\r\n') + "\r\n" + \
                f"--{b}\r\n{hdr_part}{body}\r\n--{b}\r\nContent-Type: {ctype}; name=\"{fname}\"\r\n" \
                f"Content-Disposition: attachment; filename=\"{fname}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{att}\r\n--{b}--\r\n"
            return layout, msg, self.expected(q)
        lines = {"blocks": self.layout_blocks, "multifield": self.layout_multifield, "sentences": self.layout_sentences,
                 "line_per_po": self.layout_line_per_po, "shared": self.shared_for_all,
                 "text_table": self.layout_text_table}[layout](q)
        text = "\n".join(self.wrap(lines, q)) + "\n"
        if self.r.random() < 0.15:  # forwarded as an attached message
            inner_hdr, inner_body, _ = self.text_part(text)
            inner = self.headers(q, subject) + inner_hdr + inner_body
            b = "fw-" + str(self.r.getrandbits(32))
            msg = self.headers(q, "Fwd: " + subject, f'Content-Type: multipart/mixed; boundary="{b}"\r\n') + "\r\n" + \
                f"--{b}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nForwarding, please handle.\r\n" + \
                f"--{b}\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment\r\n\r\n{inner}\r\n--{b}--\r\n"
            return layout + "-fwd-attached", msg, self.expected(q)
        hdr_part, body, _ = self.text_part(text)
        return layout, self.headers(q, subject, hdr_part.split("\r\n\r\n")[0] + "\r\n") + "\r\n" + body, self.expected(q)

    def near_miss(self):
        q = self.request()
        p = q["pos"][0]
        y = q["date"].year
        kind = self.pick(["chargeback", "newsletter", "invoice", "auto_reply", "cancellation", "chitchat"])
        other = {"classification": "other", "vendor_code": None, "ship_from": None, "freight_ready_date": None,
                 "purchase_orders": [], "needs_attention": False}
        if kind == "chargeback":
            subj, body = "Chargeback notice: routing non-compliance", (
                f"A chargeback has been issued for PO {p['po']}.\nIssue: freight ready date missed\n"
                f"Ship window: {self.window(p, y)}\nChargeback amount: $250.00\nYou can dispute this chargeback within 30 days.\n")
            extra, other["reason_contains"] = "", "chargeback"
            other["classification"] = "chargeback"
        elif kind == "newsletter":
            subj, body = "Freight Insights: this month", (
                f"How one vendor cut routing request time: they listed PO {p['po']} with the ship window.\n"
                "Unsubscribe: https://news.example/u/1\n")
            extra, other["reason_contains"] = "List-Unsubscribe: <https://news.example/u/1>\r\n", "bulk mail"
        elif kind == "invoice":
            subj, body = f"Invoice INV-{self.r.randrange(10000, 99999)} for PO {p['po']}", (
                f"Please find our invoice below.\nPO: {p['po']}\nAmount due: $4,210.00\n")
            extra, other["reason_contains"] = "", "invoice"
        elif kind == "auto_reply":
            subj, body = f"Automatic reply: Routing request - PO {p['po']}", (
                f"I am out of the office until Monday.\n\n> Routing request\n> PO: {p['po']}\n> Destination FC: {p['fc']}\n")
            extra, other["reason_contains"] = "Auto-Submitted: auto-replied\r\n", "automatic reply"
        elif kind == "cancellation":
            subj, body = f"PO {p['po']} cancelled", f"Hello,\n\nPO {p['po']} has been cancelled. Please do not ship it.\n"
            extra, other["reason_contains"] = "", "cancel"
            other["classification"] = "cancellation"
        else:
            subj, body = self.pick(["Lunch on Friday?", "Dock door 4 is fixed", "Holiday schedule"]), (
                "Hi all,\n\nJust a note: the dock door is working again and the holiday hours are posted by the office.\n\nPat\n")
            extra, other["reason_contains"] = "", "no routing-request wording"
        hdr_part, b, _ = self.text_part(body)
        return "near-miss-" + kind, self.headers(q, subj, extra + hdr_part.split("\r\n\r\n")[0] + "\r\n") + "\r\n" + b, other


def doubtful(g):
    """Mail that may be a routing request but cannot be read as one: a human must look (NEEDS_ATTENTION)."""
    q = g.request()
    p = q["pos"][0]
    kind = g.pick(["subject_only", "bad_attachment", "unknown_layout", "no_po"])
    possible = {"classification": "possible_routing_request", "needs_attention": True}
    if kind == "subject_only":
        subj = f"Routing request - PO {p['po']}"
        body = (f"Hi,\n\nFreight is ready {g.date(q['ready'], q['date'].year, 'mon')}, please route.\n"
                f"{g.pick(L_FC)}: {p['fc']}\n{g.pick(L_CTN)}: {p['cartons']}\n")
        hdr_part, b, _ = g.text_part(body)
        return "doubt-" + kind, g.headers(q, subj, hdr_part.split("\r\n\r\n")[0] + "\r\n") + "\r\n" + b, possible
    if kind == "bad_attachment":
        bnd = "mix-" + str(g.r.getrandbits(32))
        name, ctype, junk = g.pick([("routing.pdf", "application/pdf", b"%PDF-1.4 damaged"),
                                    ("routing.xlsx", "application/octet-stream", b"PK\x03\x04 damaged"),
                                    ("routing.xls", "application/vnd.ms-excel", b"\xd0\xcf\x11\xe0")])
        att = base64.encodebytes(junk).decode().replace("\n", "\r\n")
        msg = g.headers(q, g.pick(["Routing request", "Please route - see attached"]),
                        f'Content-Type: multipart/mixed; boundary="{bnd}"\r\n') + "\r\n" + \
            f"--{bnd}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nRouting request attached.\r\n" \
            f"--{bnd}\r\nContent-Type: {ctype}; name=\"{name}\"\r\nContent-Disposition: attachment; filename=\"{name}\"\r\n" \
            f"Content-Transfer-Encoding: base64\r\n\r\n{att}\r\n--{bnd}--\r\n"
        return "doubt-" + kind, msg, possible
    if kind == "unknown_layout":
        others = " and ".join(x["po"] for x in q["pos"][:2])
        body = f"Hi,\n\nNext week {others} go out, {p['fc']} both, about a dozen each.\n"
        hdr_part, b, _ = g.text_part(body)
        return "doubt-" + kind, g.headers(q, "Freight for next week", hdr_part.split("\r\n\r\n")[0] + "\r\n") + "\r\n" + b, possible
    body = "Heads-up: the routing request for next week's freight follows tomorrow.\n"
    hdr_part, b, _ = g.text_part(body)
    return "doubt-" + kind, g.headers(q, "Routing request coming", hdr_part.split("\r\n\r\n")[0] + "\r\n") + "\r\n" + b, possible


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=20270202)
    ap.add_argument("--count", type=int, default=400, help="routing requests (near misses: a fifth of that more)")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for f in os.listdir(a.out):
        if f.endswith(".eml") or f.endswith(".json"):
            os.remove(os.path.join(a.out, f))
    g = Gen(a.seed)
    n_other = a.count // 5
    n_doubt = a.count // 10
    for i in range(a.count + n_other + n_doubt):
        kind, msg, expected = g.routing_email() if i < a.count else g.near_miss() if i < a.count + n_other else doubtful(g)
        name = f"{i:04d}-{kind}"
        with open(os.path.join(a.out, name + ".eml"), "w", encoding="latin-1", newline="") as f:
            f.write(msg)
        with open(os.path.join(a.out, name + ".json"), "w") as f:
            json.dump(expected, f, indent=1)
            f.write("\n")
    print(f"generate.py: {a.count} routing requests, {n_other} near misses and {n_doubt} doubtful mails in {a.out} (seed {a.seed})")


if __name__ == "__main__":
    main()
