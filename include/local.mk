# The one public header.
include_HEADERS += include/upernet.h
