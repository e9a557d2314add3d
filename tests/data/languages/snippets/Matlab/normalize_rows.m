function Y = normalize_rows(X)
% NORMALIZE_ROWS scales each row of X to unit length.
%   Y = NORMALIZE_ROWS(X)
n = sqrt(sum(X.^2, 2));
n(n == 0) = 1;
Y = bsxfun(@rdivide, X, n);
end
