# UPERNET_LINK_ISA(DESCRIPTION, FLAGS, HEADER, BODY, [ACTION-IF-OK], [ACTION-IF-NOT])
# ---------------------------------------------------------------------------
# Link-tests a program whose main() runs BODY (argc is in scope) with FLAGS added
# to CFLAGS for this test only. CFLAGS is restored afterwards, so an ISA's flags
# never leak into generic code: each tier's flags are applied by Makefile.am to
# that tier's own convenience library.
AC_DEFUN([UPERNET_LINK_ISA], [
  AC_MSG_CHECKING([whether $CC builds and links $1 intrinsics])
  upernet_saved_CFLAGS=$CFLAGS
  CFLAGS="$CFLAGS $2"
  AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <$3>]], [[
      int argc = 1;
      $4]])],
    [AC_MSG_RESULT([yes]); $5],
    [AC_MSG_RESULT([no]); $6])
  CFLAGS=$upernet_saved_CFLAGS
])
