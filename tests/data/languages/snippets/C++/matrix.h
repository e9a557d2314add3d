#pragma once
#include <vector>
#include <cstddef>

namespace linalg {

class Matrix {
 public:
  Matrix(std::size_t rows, std::size_t cols);
  double& operator()(std::size_t r, std::size_t c);
 private:
  std::vector<double> data_;
  std::size_t rows_, cols_;
};

}  // namespace linalg
