// Intel ISA-L's igzip (Debian's libisal-dev): streaming inflate at 2-5x zlib's speed.
#include <isa-l/igzip_lib.h>
