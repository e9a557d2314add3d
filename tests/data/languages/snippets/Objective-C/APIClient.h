#import <Foundation/Foundation.h>
@class APIRequest;

@protocol APIClientDelegate <NSObject>
@optional
- (void)client:(id)client didFinishRequest:(APIRequest *)request;
@end
