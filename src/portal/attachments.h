// What a mailbox message may carry: PDF, PNG or JPEG, recognised by the
// content's signature (never by the name or the type a browser claims),
// within the configured size and count. Plain functions, fuzzed through
// their unit test's mutation loop.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace passwerk::portal {

struct AttachmentLimits {
  int64_t max_bytes = 10 * 1024 * 1024;
  int max_count = 5;
};

// A file as it arrived (multipart part).
struct NewAttachment {
  std::string name;  // as the browser sent it
  std::string data;
};

// What a message shows of an attachment.
struct AttachmentInfo {
  std::string id;
  std::string name;
  std::string type;  // application/pdf, image/png, image/jpeg
  int64_t size = 0;
};

// An attachment's content, to hand out.
struct Document {
  std::string name;
  std::string type;
  std::string data;
};

// The media type by the content's signature: "application/pdf" (%PDF-),
// "image/png" (the eight-byte PNG signature and an IHDR chunk), "image/jpeg"
// (SOI and a marker); nullopt for anything else.
std::optional<std::string> SniffType(std::string_view data);

// A file name safe to store and to send back in Content-Disposition: the
// last path component, control characters and quotes removed, at most 120
// characters (the extension kept), and an extension matching `type`; never
// empty ("Anhang.pdf"). With an empty `type`: only cleaned, for messages.
std::string CleanFileName(std::string_view name, std::string_view type);

// Checks count, sizes and types; InvalidArgument with field "attachment"
// naming the first file refused and why. On success, the sniffed type of each.
Result<std::vector<std::string>> CheckAttachments(const std::vector<NewAttachment>& attachments,
                                                  const AttachmentLimits& limits);

}  // namespace passwerk::portal
