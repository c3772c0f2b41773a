// libcarbonsink.so: the library is the static layers linked whole (CMakeLists.txt,
// carbonsink_shared) with the public API of include/carbonsink/carbonsink.hpp exported
// (packaging/carbonsink.map). CMake needs one source file of the target's own: this one; it
// checks that the public header compiles on its own with the library's flags.
#include "carbonsink/carbonsink.hpp"
