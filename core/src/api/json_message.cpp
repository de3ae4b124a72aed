#include "json_message.hpp"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/reflection.h>
#include <google/protobuf/struct.pb.h>

#include <cmath>
#include <limits>

namespace hub::api {

namespace {

namespace pb = google::protobuf;
using Json = nlohmann::json;
using Field = pb::FieldDescriptor;

Status invalid(const std::string& name, const Json& value, const Field& field) {
  return {Code::invalid_argument, name + ": invalid value " + value.dump() + " for type " + field.type_name()};
}

void to_value(const Json& json, pb::Value& out);

void to_struct(const Json& json, pb::Struct& out) {
  for (const auto& [key, value] : json.items()) to_value(value, (*out.mutable_fields())[key]);
}

void to_value(const Json& json, pb::Value& out) {
  if (json.is_null()) return out.set_null_value(pb::NULL_VALUE);
  if (json.is_boolean()) return out.set_bool_value(json.get<bool>());
  if (json.is_number()) return out.set_number_value(json.get<double>());
  if (json.is_string()) return out.set_string_value(json.get<std::string>());
  if (json.is_object()) return to_struct(json, *out.mutable_struct_value());
  for (const Json& element : json) to_value(element, *out.mutable_list_value()->add_values());
}

// An integer in range, from a JSON integer, an integral double or a string of digits (as protobuf's own JSON reader takes).
template <class Integer>
bool integer_of(const Json& json, Integer& out) {
  long double value = 0;
  if (json.is_number_integer() || json.is_number_unsigned()) {
    value = json.is_number_unsigned() ? static_cast<long double>(json.get<uint64_t>()) : static_cast<long double>(json.get<int64_t>());
  } else if (json.is_number_float()) {
    const double number = json.get<double>();
    if (std::trunc(number) != number) return false;
    value = number;
  } else if (json.is_string()) {
    const std::string text = json.get<std::string>();
    size_t used = 0;
    try {
      value = std::stold(text, &used);
    } catch (const std::exception&) {
      return false;
    }
    if (used != text.size() || std::trunc(value) != value) return false;
  } else {
    return false;
  }
  if (value < static_cast<long double>(std::numeric_limits<Integer>::min()) ||
      value > static_cast<long double>(std::numeric_limits<Integer>::max()))
    return false;
  out = static_cast<Integer>(value);
  return true;
}

// Sets an integer field, or adds to it when it is repeated, through the reflection's setter for its type.
template <class Integer>
Status put_integer(pb::Message& message, const Field& field, const Json& json, const std::string& name,
                   void (pb::Reflection::*set)(pb::Message*, const Field*, Integer) const,
                   void (pb::Reflection::*add)(pb::Message*, const Field*, Integer) const) {
  Integer value = 0;
  if (!integer_of(json, value)) return invalid(name, json, field);
  const pb::Reflection& reflection = *message.GetReflection();
  field.is_repeated() ? (reflection.*add)(&message, &field, value) : (reflection.*set)(&message, &field, value);
  return {};
}

// Sets one value of `field`: the field itself, or an element added to it when it is repeated.
Status set_scalar(pb::Message& message, const Field& field, const Json& json, const std::string& name) {
  const pb::Reflection& reflection = *message.GetReflection();
  const bool repeated = field.is_repeated();
  switch (field.cpp_type()) {
    case Field::CPPTYPE_STRING:
      if (!json.is_string()) return invalid(name, json, field);
      repeated ? reflection.AddString(&message, &field, json.get<std::string>())
               : reflection.SetString(&message, &field, json.get<std::string>());
      return {};
    case Field::CPPTYPE_BOOL:
      if (!json.is_boolean()) return invalid(name, json, field);
      repeated ? reflection.AddBool(&message, &field, json.get<bool>()) : reflection.SetBool(&message, &field, json.get<bool>());
      return {};
    case Field::CPPTYPE_DOUBLE:
    case Field::CPPTYPE_FLOAT: {
      if (!json.is_number()) return invalid(name, json, field);
      const double value = json.get<double>();
      if (field.cpp_type() == Field::CPPTYPE_FLOAT) {
        if (std::fabs(value) > std::numeric_limits<float>::max()) return invalid(name, json, field);
        repeated ? reflection.AddFloat(&message, &field, static_cast<float>(value))
                 : reflection.SetFloat(&message, &field, static_cast<float>(value));
      } else {
        repeated ? reflection.AddDouble(&message, &field, value) : reflection.SetDouble(&message, &field, value);
      }
      return {};
    }
    case Field::CPPTYPE_INT32:
      return put_integer<int32_t>(message, field, json, name, &pb::Reflection::SetInt32, &pb::Reflection::AddInt32);
    case Field::CPPTYPE_INT64:
      return put_integer<int64_t>(message, field, json, name, &pb::Reflection::SetInt64, &pb::Reflection::AddInt64);
    case Field::CPPTYPE_UINT32:
      return put_integer<uint32_t>(message, field, json, name, &pb::Reflection::SetUInt32, &pb::Reflection::AddUInt32);
    case Field::CPPTYPE_UINT64:
      return put_integer<uint64_t>(message, field, json, name, &pb::Reflection::SetUInt64, &pb::Reflection::AddUInt64);
    case Field::CPPTYPE_ENUM: {
      const pb::EnumValueDescriptor* value = nullptr;
      if (json.is_string()) value = field.enum_type()->FindValueByName(json.get<std::string>());
      int32_t number = 0;
      if (!value && integer_of(json, number)) value = field.enum_type()->FindValueByNumber(number);
      if (!value) return invalid(name, json, field);
      repeated ? reflection.AddEnum(&message, &field, value) : reflection.SetEnum(&message, &field, value);
      return {};
    }
    case Field::CPPTYPE_MESSAGE: {
      pb::Message* child = repeated ? reflection.AddMessage(&message, &field) : reflection.MutableMessage(&message, &field);
      if (field.message_type()->full_name() == pb::Struct::descriptor()->full_name()) {
        if (!json.is_object()) return {Code::invalid_argument, name + ": expected an object"};
        to_struct(json, static_cast<pb::Struct&>(*child));
        return {};
      }
      if (!json.is_object()) return {Code::invalid_argument, name + ": expected an object"};
      return read_json_message(json, *child);
    }
  }
  return invalid(name, json, field);
}

Status set_map(pb::Message& message, const Field& field, const Json& json, const std::string& name) {
  if (!json.is_object()) return {Code::invalid_argument, name + ": expected an object"};
  const Field& key = *field.message_type()->map_key();
  const Field& value = *field.message_type()->map_value();
  if (key.cpp_type() != Field::CPPTYPE_STRING) return {Code::invalid_argument, name + ": maps with non-string keys are not read from JSON"};
  for (const auto& [entry_key, entry_value] : json.items()) {
    pb::Message* entry = message.GetReflection()->AddMessage(&message, &field);
    entry->GetReflection()->SetString(entry, &key, entry_key);
    if (Status failed = set_scalar(*entry, value, entry_value, name + "." + entry_key)) return failed;
  }
  return {};
}

}  // namespace

Status read_json_message(const Json& body, pb::Message& out) {
  if (!body.is_object()) return {Code::invalid_argument, std::string("the body must be a JSON object, got ") + body.type_name()};
  const pb::Descriptor& descriptor = *out.GetDescriptor();
  for (const auto& [name, value] : body.items()) {
    const Field* field = descriptor.FindFieldByName(name);
    for (int i = 0; !field && i < descriptor.field_count(); ++i)
      if (descriptor.field(i)->json_name() == name) field = descriptor.field(i);
    if (!field) return {Code::invalid_argument, name + ": unknown field"};
    if (value.is_null()) continue;
    if (field->is_map()) {
      if (Status failed = set_map(out, *field, value, name)) return failed;
    } else if (field->is_repeated()) {
      if (!value.is_array()) return {Code::invalid_argument, name + ": expected an array"};
      const bool of_messages = field->cpp_type() == Field::CPPTYPE_MESSAGE;
      for (const Json& element : value) {
        if (element.is_array() || (element.is_object() && !of_messages))
          return {Code::invalid_argument,
                  name + ": expected an array of " + (of_messages ? "objects" : "single values") + ", not of arrays or objects"};
        if (Status failed = set_scalar(out, *field, element, name)) return failed;
      }
    } else if (Status failed = set_scalar(out, *field, value, name)) {
      return failed;
    }
  }
  return {};
}

}  // namespace hub::api
