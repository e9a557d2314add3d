#import "MyViewController.h"

@implementation MyViewController

- (void)viewDidLoad {
    [super viewDidLoad];
    self.title = @"Items";
    [self reloadItems];
}

- (void)reloadItems {
    [self.tableView reloadData];
}

@end
