# Dataset evaluation (mmseg's mIoU): IoU counting and metrics, and the tests
# of the library pieces evaluation needs (OpenCV-exact resize, annotations).
libupernet_la_SOURCES += \
	src/eval/iou.c

check_PROGRAMS += tests/test_eval_counts
tests_test_eval_counts_SOURCES = tests/test_eval_counts.c tests/sha256.c tests/sha256.h \
	tests/testutil.c tests/testutil.h
tests_test_eval_counts_CFLAGS = $(UPERNET_TEST_CFLAGS) $(JANSSON_CFLAGS)
tests_test_eval_counts_LDADD = $(UPERNET_TEST_LIBS) $(JANSSON_LIBS) -lm
TESTS += tests/test_eval_counts
EXTRA_DIST += data/golden/iou.json data/golden/opencv-resize.json \
	tools/make_iou_goldens.py tools/make_opencv_goldens.py
