# Runs `dockhand-agent validate` on a broken script: it must exit 2 and name every problem by path.
execute_process(COMMAND ${AGENT} validate ${SCRIPT} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
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
