# Runs `dockhand-agent validate` (or -DSUBCOMMAND=run) on a broken script: it must exit 2 and name every problem
# by path (run: on stderr and in the JSON result's "problems", before it opens the display).
if(NOT SUBCOMMAND)
  set(SUBCOMMAND validate)
endif()
execute_process(COMMAND ${AGENT} ${SUBCOMMAND} ${SCRIPT} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(SUBCOMMAND STREQUAL "run")
  if(NOT out MATCHES "\"status\": \"invalid\"")
    message(FATAL_ERROR "run: expected status invalid in:\n${out}")
  endif()
  if(err MATCHES "no desktop|display")
    message(FATAL_ERROR "run: touched the display before refusing the script:\n${err}")
  endif()
endif()
if(NOT rc EQUAL 2)
  message(FATAL_ERROR "expected exit 2, got ${rc}\n${out}${err}")
endif()
foreach(expected
    "steps\\[0\\]\\.clik: unknown step"
    "steps\\[1\\]\\.click\\.image: template file not found: templates/missing.png"
    "steps\\[2\\]\\.read\\.expect: bad regex"
    "steps\\[3\\]\\.type: undefined variable \\$\\{carrier\\}"
    "steps\\[4\\]\\.wait\\.timout_ms: unknown field")
  if(NOT out MATCHES "${expected}")
    message(FATAL_ERROR "missing problem matching '${expected}' in:\n${out}")
  endif()
endforeach()
