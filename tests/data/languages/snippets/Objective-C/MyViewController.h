#import <UIKit/UIKit.h>

NS_ASSUME_NONNULL_BEGIN

@interface MyViewController : UIViewController <UITableViewDataSource>
@property (nonatomic, strong) UITableView *tableView;
- (void)reloadItems;
@end

NS_ASSUME_NONNULL_END
