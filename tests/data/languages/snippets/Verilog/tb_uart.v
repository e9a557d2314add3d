module tb_uart;
  reg clk = 0;
  always #5 clk = ~clk;
  initial begin
    $dumpfile("uart.vcd");
    #1000 $finish;
  end
endmodule
