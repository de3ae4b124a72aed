#include "encoding.hpp"

#include "hub/api/v1/status.pb.h"
#include "text/printable_text.hpp"

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

}  // namespace hub::http
