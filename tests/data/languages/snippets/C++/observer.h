#ifndef OBSERVER_H_
#define OBSERVER_H_

#include <functional>
#include <memory>

template <typename Event>
class Observer {
 public:
  virtual ~Observer() = default;
  virtual void OnEvent(const Event& e) = 0;
};

#endif  // OBSERVER_H_
