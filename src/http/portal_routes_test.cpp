// Which requests carry files (a larger body limit): exactly the upload routes.
#include "http/portal_routes.h"

#include <gtest/gtest.h>

namespace passwerk::http {
namespace {

TEST(IsUploadTest, MailboxMessagesAndApplicationDocuments) {
  for (const char* target :
       {"/api/portal/v1/threads/abc/messages", "/api/v1/threads/abc/messages", "/portal/mailbox/new",
        "/portal/mailbox/abc/reply", "/mailbox/abc/reply", "/api/portal/v1/applications/abc/documents",
        "/api/portal/v1/applications/abc/documents?x=1", "/portal/applications/abc/upload"}) {
    EXPECT_TRUE(IsUpload("POST", target)) << target;
  }
}

TEST(IsUploadTest, NothingElse) {
  EXPECT_FALSE(IsUpload("GET", "/api/portal/v1/applications/abc/documents"));
  EXPECT_FALSE(IsUpload("PUT", "/api/portal/v1/applications/abc/documents"));
  for (const char* target : {"/api/portal/v1/applications", "/api/portal/v1/applications/documents",
                             "/api/portal/v1/applications//documents", "/api/portal/v1/applications/a/b/documents",
                             "/api/portal/v1/applications/abc/submit", "/portal/applications/abc/save",
                             "/portal/applications/upload", "/api/v1/applications/abc/documents"}) {
    EXPECT_FALSE(IsUpload("POST", target)) << target;
  }
}

}  // namespace
}  // namespace passwerk::http
