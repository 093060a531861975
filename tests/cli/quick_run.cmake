# A short real run of the benchmark driver: it must succeed, print tf_cnn_benchmarks' lines in
# their exact format (as log scrapers parse them), each as many times as the flags imply, and
# leave the JSON result behind.
#
# MODEL, BATCH, NUM_BATCHES, WARMUP, DISPLAY_EVERY and REPETITIONS become the flags; EXPECT_STEPS
# ("1,2,4") lists the timed steps that must print a step line in every repetition, in order.
# A distributed run: LAUNCHER ("mpiexec|-n|3") starts EXE, EXTRA ("|"-separated) adds flags,
# RANKS and WORKERS say who runs; only the first worker prints, and it adds its per-worker and
# communication lines after each total.
set(args --model=${MODEL} --batch_size=${BATCH} --num_batches=${NUM_BATCHES} --num_warmup_batches=${WARMUP}
         --display_every=${DISPLAY_EVERY} --repetitions=${REPETITIONS} --output_json=${JSON})
if(DEFINED EXTRA)
  string(REPLACE "|" ";" extra "${EXTRA}")
  list(APPEND args ${extra})
endif()
set(launcher "")
if(DEFINED LAUNCHER)
  string(REPLACE "|" ";" launcher "${LAUNCHER}")
endif()
if(NOT DEFINED WORKERS)
  set(WORKERS 1)
endif()
math(EXPR global_batch "${BATCH} * ${WORKERS}")
file(REMOVE "${JSON}")
execute_process(COMMAND ${launcher} ${EXE} ${args} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 300)
string(REPLACE ";" " " shown_args "${args}")
set(shown "${LAUNCHER} ${EXE} ${shown_args}\n--- stdout:\n${out}--- stderr:\n${err}---")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "exited with ${rc}:\n${shown}")
endif()

# Every line is compared whole. Lines are walked with string(FIND) rather than turned into a
# CMake list, which would split them at their semicolons and brackets.
set(num "[0-9]+\\.[0-9]")
set(dashes "----------------------------------------------------------------")
# The kinds of line, each a whole-line pattern; "wrote <JSON>" is compared as a string instead,
# as the path is no pattern.
set(kinds header_model header_mode header_batch header_per_device header_num_batches header_end repetition warm_up
          warm_up_done heading step dashes total per_worker comm_wait memory plan achieved summary summary_repetition
          summary_mean)
set(re_header_model "^Model:       ${MODEL}$")
set(re_header_mode "^Mode:        training$")
set(re_header_batch "^Batch size:  ${global_batch} global$")
set(re_header_per_device "^             ${BATCH} per device$")
set(re_header_num_batches "^Num batches: ${NUM_BATCHES}$")
set(re_header_end "^==========$")
set(re_repetition "^Repetition [0-9]+ of ${REPETITIONS}$")
set(re_warm_up "^Running warm up$")
set(re_warm_up_done "^Done warm up$")
set(re_heading "^Step\tImg/sec\ttotal_loss$")
set(re_step "^([0-9]+)\timages/sec: ${num} \\+/- ${num} \\(jitter = ${num}\\)\t(-?[0-9]+\\.[0-9][0-9][0-9])$")
set(re_dashes "^${dashes}$")
set(re_total "^total images/sec: [0-9]+\\.[0-9][0-9]$")
set(re_per_worker "^per worker: [0-9]+\\.[0-9][0-9] images/sec \\(${WORKERS} workers x ${BATCH} images per step\\)$")
set(re_comm_wait "^communication wait: [0-9]+\\.[0-9][0-9][0-9][0-9] s per step \\(${num} % of the step\\)$")
set(re_memory "^peak resident memory: ${num} MiB$")
set(re_plan "^memory plan: activations ${num} MiB, parameters ${num} MiB, gradients ${num} MiB, backward scratch ${num} MiB, kernel workspace ${num} MiB, optimizer state ${num} MiB, batch-norm statistics ${num} MiB: ${num} MiB$")
set(re_achieved "^achieved: ${num} GFLOP/s = ${num} % of the ${num} GFLOP/s FMA peak of [0-9]+ threads \\(training = 3 x forward FLOPs, the usual approximation; a multiply-add is 2 FLOPs\\)$")
set(re_summary "^Summary over ${REPETITIONS} repetitions \\(the report's protocol: mean, error bar max - min\\)$")
set(re_summary_repetition "^repetition [0-9]+\timages/sec: [0-9]+\\.[0-9][0-9]$")
set(re_summary_mean "^mean images/sec: [0-9]+\\.[0-9][0-9] \\+/- [0-9]+\\.[0-9][0-9] \\(max - min\\)$")

foreach(kind ${kinds} wrote)
  set(n_${kind} 0)
endforeach()
set(steps "")         # "step:loss" of every step line, in order
set(repetitions "")   # the repetition numbers, in order
set(after_header FALSE)
set(rest "${out}")
string(LENGTH "${rest}" left)
while(left GREATER 0)
  string(FIND "${rest}" "\n" nl)
  if(nl EQUAL -1)
    message(FATAL_ERROR "the output does not end with a newline:\n${shown}")
  endif()
  string(SUBSTRING "${rest}" 0 ${nl} line)
  math(EXPR next "${nl} + 1")
  string(SUBSTRING "${rest}" ${next} -1 rest)
  string(LENGTH "${rest}" left)
  set(found "")
  if(line STREQUAL "wrote ${JSON}")
    set(found wrote)
  else()
    foreach(kind ${kinds})
      if(line MATCHES "${re_${kind}}")
        set(found ${kind})
        break()
      endif()
    endforeach()
  endif()
  if(found STREQUAL "step")
    list(APPEND steps "${CMAKE_MATCH_1}:${CMAKE_MATCH_2}")
  elseif(found STREQUAL "repetition")
    string(REGEX REPLACE "^Repetition ([0-9]+) of.*" "\\1" r "${line}")
    list(APPEND repetitions ${r})
  endif()
  if(found STREQUAL "")
    # The header's other lines (threads, OpenMP, FMA peak) describe the machine; after the
    # header every line must be one of the kinds above.
    if(after_header)
      message(FATAL_ERROR "unexpected line \"${line}\":\n${shown}")
    endif()
  else()
    math(EXPR n_${found} "${n_${found}} + 1")
    if(found STREQUAL "header_end")
      set(after_header TRUE)
    endif()
  endif()
endwhile()

# How often each line must appear: the header once, the warm-up notes, the heading and the totals
# block once per repetition, the summary once over all repetitions.
if(REPETITIONS GREATER 1)
  set(n_summary_lines 1)
  set(n_reps_announced ${REPETITIONS})
else()
  set(n_summary_lines 0)
  set(n_reps_announced 0)
endif()
math(EXPR n_dash_lines "2 * ${REPETITIONS}")
set(n_distributed 0)
if(DEFINED LAUNCHER)
  set(n_distributed ${REPETITIONS})
endif()
foreach(pair header_model=1 header_mode=1 header_batch=1 header_per_device=1 header_num_batches=1 header_end=1
             repetition=${n_reps_announced} warm_up=${REPETITIONS} warm_up_done=${REPETITIONS}
             heading=${REPETITIONS} dashes=${n_dash_lines} total=${REPETITIONS} per_worker=${n_distributed}
             comm_wait=${n_distributed} memory=${REPETITIONS} plan=${REPETITIONS}
             achieved=${REPETITIONS} summary=${n_summary_lines} summary_repetition=${n_reps_announced}
             summary_mean=${n_summary_lines} wrote=1)
  string(REPLACE "=" ";" pair "${pair}")
  list(GET pair 0 kind)
  list(GET pair 1 want)
  if(NOT n_${kind} EQUAL want)
    message(FATAL_ERROR "expected ${want} line(s) of kind '${kind}' (${re_${kind}}), found ${n_${kind}}:\n${shown}")
  endif()
endforeach()

# The totals block is three lines in a row.
string(REGEX MATCHALL "${dashes}\ntotal images/sec: [0-9]+\\.[0-9][0-9]\n${dashes}\n" totals "${out}")
list(LENGTH totals n_totals)
if(NOT n_totals EQUAL REPETITIONS)
  message(FATAL_ERROR "expected ${REPETITIONS} 'total images/sec' blocks, found ${n_totals}:\n${shown}")
endif()

if(REPETITIONS GREATER 1)
  set(want_reps "")
  foreach(r RANGE 1 ${REPETITIONS})
    list(APPEND want_reps ${r})
  endforeach()
  if(NOT repetitions STREQUAL want_reps)
    message(FATAL_ERROR "repetitions announced as '${repetitions}', expected '${want_reps}':\n${shown}")
  endif()
endif()

# Step lines: exactly the listed steps in each repetition, and the same losses in each, as every
# repetition starts from the same weights and data.
string(REPLACE "," ";" want_steps "${EXPECT_STEPS}")
list(LENGTH want_steps per_rep)
math(EXPR want_lines "${per_rep} * ${REPETITIONS}")
list(LENGTH steps n_steps)
if(NOT n_steps EQUAL want_lines)
  message(FATAL_ERROR "expected ${want_lines} step lines (steps ${EXPECT_STEPS} in each of ${REPETITIONS} "
                      "repetitions), found ${n_steps}:\n${shown}")
endif()
set(first_rep "")
math(EXPR last "${want_lines} - 1")
foreach(i RANGE 0 ${last})
  math(EXPR k "${i} % ${per_rep}")
  list(GET want_steps ${k} want_step)
  list(GET steps ${i} got)
  string(REGEX REPLACE ":.*" "" got_step "${got}")
  if(NOT got_step EQUAL want_step)
    message(FATAL_ERROR "step line ${i} is for step ${got_step}, expected step ${want_step} "
                        "(steps ${EXPECT_STEPS} in each repetition):\n${shown}")
  endif()
  if(i LESS per_rep)
    list(APPEND first_rep "${got}")
  else()
    list(GET first_rep ${k} same)
    if(NOT got STREQUAL same)
      message(FATAL_ERROR "step line ${i} reads '${got}' (step:loss), the first repetition read '${same}':\n${shown}")
    endif()
  endif()
endforeach()

if(NOT EXISTS "${JSON}")
  message(FATAL_ERROR "no JSON result at ${JSON}")
endif()
file(READ "${JSON}" json)
if(NOT DEFINED RANKS)
  set(RANKS 1)
endif()
foreach(key "\"configuration\"" "\"step_seconds\"" "\"summary\"" "\"mean_images_per_sec\"" "\"ranks\":${RANKS},"
            "\"workers\":${WORKERS},")
  string(FIND "${json}" "${key}" pos)
  if(pos EQUAL -1)
    message(FATAL_ERROR "${JSON} lacks ${key}:\n${json}")
  endif()
endforeach()
message(STATUS "${n_steps} step lines (steps ${EXPECT_STEPS} x ${REPETITIONS}), ${n_totals} totals, ${JSON} written")
