losses = load('losses.txt');
figure;
plot(1:numel(losses), losses, 'LineWidth', 2);
xlabel('epoch'); ylabel('loss');
title('Training loss');
