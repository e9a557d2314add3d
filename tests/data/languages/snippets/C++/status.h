#ifndef STATUS_H
#define STATUS_H
#include <string>

struct Status {
  bool ok() const noexcept { return code == 0; }
  int code = 0;
  std::string message;
};
#endif
