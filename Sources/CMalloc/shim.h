// glibc's allocator controls (malloc_trim: hand freed pages back to the system).
#include <malloc.h>
