// Attachment rules: content signatures, safe file names, limits.
#include "portal/attachments.h"

#include <cstdio>

#include "core/utf8.h"

namespace passwerk::portal {
namespace {

bool StartsWith(std::string_view data, std::string_view prefix) { return data.substr(0, prefix.size()) == prefix; }

std::string_view ExtensionFor(std::string_view type) {
  if (type == "application/pdf") return ".pdf";
  if (type == "image/png") return ".png";
  return ".jpg";
}

std::string Megabytes(int64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return text;
}

bool EndsWithIgnoreCase(std::string_view name, std::string_view suffix) {
  if (name.size() < suffix.size()) return false;
  for (size_t i = 0; i < suffix.size(); ++i) {
    char c = name[name.size() - suffix.size() + i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != suffix[i]) return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> SniffType(std::string_view data) {
  // PDF: the header may follow a few bytes of junk (ISO 32000-1, 7.5.2), but
  // we accept only the clean form at the start.
  if (StartsWith(data, "%PDF-") && data.size() >= 8) return "application/pdf";
  // PNG: signature, then the first chunk is IHDR of length 13.
  if (StartsWith(data, std::string_view("\x89PNG\r\n\x1a\n", 8)) && data.size() >= 33 &&
      data.substr(8, 8) == std::string_view("\0\0\0\x0dIHDR", 8)) {
    return "image/png";
  }
  // JPEG: SOI followed by a marker (APPn, DQT, SOF…).
  if (data.size() >= 4 && static_cast<unsigned char>(data[0]) == 0xFF && static_cast<unsigned char>(data[1]) == 0xD8 &&
      static_cast<unsigned char>(data[2]) == 0xFF && static_cast<unsigned char>(data[3]) >= 0xC0 &&
      static_cast<unsigned char>(data[3]) != 0xFF) {
    return "image/jpeg";
  }
  return std::nullopt;
}

std::string CleanFileName(std::string_view name, std::string_view type) {
  size_t slash = name.find_last_of("/\\");
  if (slash != std::string_view::npos) name = name.substr(slash + 1);
  std::string clean;
  size_t at = 0;
  while (at < name.size()) {
    char32_t code_point = 0;
    size_t length = utf8::DecodeUtf8(name, at, code_point);
    if (length == 0) {  // invalid UTF-8: drop the byte
      ++at;
      continue;
    }
    std::string_view piece = name.substr(at, length);
    at += length;
    bool control = code_point < 0x20 || code_point == 0x7f || (code_point >= 0x80 && code_point < 0xa0) ||
                   code_point == 0x2028 || code_point == 0x2029 || (code_point >= 0x202a && code_point <= 0x202e) ||
                   (code_point >= 0x2066 && code_point <= 0x2069);  // bidi overrides would disguise the extension
    if (control || code_point == '"' || code_point == '\'' || code_point == ';' || code_point == '<' ||
        code_point == '>' || code_point == '*' || code_point == '?' || code_point == '|' || code_point == ':') {
      continue;
    }
    clean.append(piece);
  }
  // No leading dots or spaces (hidden files, "..").
  size_t start = clean.find_first_not_of(". ");
  clean = start == std::string::npos ? std::string() : clean.substr(start);
  while (!clean.empty() && (clean.back() == ' ' || clean.back() == '.')) clean.pop_back();
  if (type.empty()) return clean.empty() ? std::string("Anhang") : clean.substr(0, 200);
  std::string_view extension = ExtensionFor(type);
  bool has_extension = EndsWithIgnoreCase(clean, extension) ||
                       (type == "image/jpeg" && EndsWithIgnoreCase(clean, ".jpeg"));
  if (clean.empty()) return "Anhang" + std::string(extension);
  if (!has_extension) clean += extension;
  // At most 120 code points, keeping the extension.
  constexpr size_t kMaxCodePoints = 120;
  size_t count = 0;
  size_t cut = clean.size();
  for (size_t i = 0; i < clean.size(); ++i) {
    if ((static_cast<unsigned char>(clean[i]) & 0xC0) != 0x80) {
      if (count == kMaxCodePoints - 5) {
        cut = i;
      }
      ++count;
    }
  }
  if (count > kMaxCodePoints) {
    size_t dot = clean.rfind('.');
    std::string kept_extension = dot == std::string::npos ? std::string(extension) : clean.substr(dot);
    clean = clean.substr(0, cut) + kept_extension;
  }
  return clean;
}

Result<std::vector<std::string>> CheckAttachments(const std::vector<NewAttachment>& attachments,
                                                  const AttachmentLimits& limits) {
  if (attachments.size() > static_cast<size_t>(limits.max_count)) {
    return InvalidArgument("a message may carry at most " + std::to_string(limits.max_count) + " attachments",
                           "attachment");
  }
  std::vector<std::string> types;
  for (const NewAttachment& attachment : attachments) {
    std::string shown = "\"" + CleanFileName(attachment.name, "") + "\"";
    if (attachment.data.empty()) return InvalidArgument("the file " + shown + " is empty", "attachment");
    if (static_cast<int64_t>(attachment.data.size()) > limits.max_bytes) {
      return InvalidArgument("the file " + shown + " is larger than " + Megabytes(limits.max_bytes), "attachment");
    }
    std::optional<std::string> type = SniffType(attachment.data);
    if (!type) {
      return InvalidArgument("the file " + shown + " is not a PDF, PNG or JPEG file (its content decides, not its name)",
                             "attachment");
    }
    types.push_back(*type);
  }
  return types;
}

}  // namespace passwerk::portal
