function [C, idx] = kmeans_step(X, C)
    D = zeros(size(X, 1), size(C, 1));
    for k = 1:size(C, 1)
        D(:, k) = sum((X - C(k, :)).^2, 2);
    end
    [~, idx] = min(D, [], 2);
    for k = 1:size(C, 1)
        C(k, :) = mean(X(idx == k, :), 1);
    end
end
