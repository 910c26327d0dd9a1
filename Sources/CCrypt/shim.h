// libxcrypt (Debian's libcrypt1): crypt_r, with bcrypt ($2b$, $2y$) among its methods.
#include <crypt.h>
