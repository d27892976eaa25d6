# Dataset evaluation (mmseg's mIoU): IoU counting and metrics, and the tests
# of the library pieces evaluation needs (OpenCV-exact resize, annotations).
libupernet_core_la_SOURCES += \
	src/eval/eval_internal.h \
	src/eval/iou.c \
	src/eval/slide.c \
	src/eval/predict.c \
	src/eval/report.c

if HAVE_CHECK
check_PROGRAMS += tests/test_eval_counts
tests_test_eval_counts_SOURCES = tests/test_eval_counts.c tests/sha256.c tests/sha256.h \
	tests/testutil.c tests/testutil.h
tests_test_eval_counts_CFLAGS = $(UPERNET_TEST_CFLAGS) $(JANSSON_CFLAGS)
tests_test_eval_counts_LDADD = $(UPERNET_TEST_LIBS) $(JANSSON_LIBS) -lm
TESTS += tests/test_eval_counts
endif
EXTRA_DIST += data/golden/iou.json data/golden/opencv-resize.json \
	tools/make_iou_goldens.py tools/make_opencv_goldens.py


# Slide inference, with and without multi-scale + flip, and post-processing
# with the tiny model (synthetic weights).
if HAVE_CHECK
check_PROGRAMS += tests/test_eval
TESTS += tests/test_eval
endif
tests_test_eval_SOURCES = tests/test_eval.c tests/golden.c tests/golden.h \
	tests/testutil.c tests/testutil.h
tests_test_eval_CFLAGS = $(UPERNET_TEST_CFLAGS) $(UPERNET_GOLDEN_CFLAGS)
tests_test_eval_LDADD = $(UPERNET_TEST_LIBS) $(UPERNET_GOLDEN_LIBS) -lm
EXTRA_DIST += data/golden/slide.json.z tools/make_slide_goldens.py \
	data/golden/msflip.json.z tools/make_msflip_goldens.py

# The command on the fixture dataset (tools/make_eval_fixtures.py).
TESTS += tests/test_cli_evaluate.sh
EXTRA_DIST += tests/test_cli_evaluate.sh data/eval tools/make_eval_fixtures.py

# mpirun -n 2 equals one process (SKIPs unless built --with-mpi and mpirun exists).
TESTS += tests/test_mpi_evaluate.sh
EXTRA_DIST += tests/test_mpi_evaluate.sh
