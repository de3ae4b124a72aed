#include "encoding.hpp"

#include "basics/printable_text.hpp"
#include "hub/api/v1/status.pb.h"

#include <google/protobuf/util/json_util.h>

namespace hub::http {

Response encode(const Request& request, const google::protobuf::Message& message, int status) {
  Response response;
  response.status = status;
  if (request.wants_protobuf) {
    response.content_type = kProtobufType;
    message.SerializeToString(&response.body);
    return response;
  }
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  (void)google::protobuf::util::MessageToJsonString(message, &response.body, options);
  return response;
}

Response error(const Request& request, int status, const std::string& code, const std::string& message) {
  hub::api::v1::Error body;
  body.set_code(status);
  body.set_error(code);
  body.set_message(printable_text(message, 4096));  // it may quote what the client sent, in any bytes
  return encode(request, body, status);
}

int http_status(const Status& status) {
  // A version pruned by retention existed once: 410 tells a client not to ask again.
  if (status.reason() == "version_pruned") return 410;
  switch (status.code()) {
    case Code::ok:
      return 200;
    case Code::invalid_argument:
    case Code::out_of_range:
      return 400;
    case Code::unauthenticated:
      return 401;
    case Code::permission_denied:
      return 403;
    case Code::not_found:
      return 404;
    case Code::already_exists:
    case Code::aborted:
    case Code::failed_precondition:
      return 409;
    case Code::resource_exhausted:
      return 429;
    case Code::unimplemented:
      return 501;
    case Code::unavailable:
      return 503;
    case Code::deadline_exceeded:
      return 504;
    default:
      return 500;
  }
}

Response error(const Request& request, const Status& status) {
  return error(request, http_status(status), status.reason(), status.message());
}

}  // namespace hub::http
