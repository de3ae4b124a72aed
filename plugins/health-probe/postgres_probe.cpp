#include "postgres_probe.hpp"

#include <pqxx/pqxx>

#include <cmath>
#include <cstdlib>

namespace hub::probes {

namespace {

// libpq's keyword=value syntax: single quotes around values, with \ and ' escaped.
std::string quoted(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

}  // namespace

PostgresProbe::PostgresProbe(const hub::Context& context)
    : host_(context.host),
      dbname_(context.config.string("dbname", "postgres")),
      user_(context.config.string("user", "postgres")),
      password_env_(context.config.string("password_env", "")),
      query_(context.config.string("query", "SELECT 1")) {}

std::string PostgresProbe::connection_string(const hub::ProbeTarget& target, SteadyTime deadline) const {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) throw ProbeFailure("no time left to connect");
  // libpq counts whole seconds (and treats 1 as 2); the hub's deadline is the hard bound.
  const long connect_seconds = std::max<long>(2, static_cast<long>(std::ceil(left.count() / 1000.0)));
  const std::string endpoint(target.endpoint());
  if (endpoint.find("://") != std::string::npos) {
    if (!password_env_.empty()) throw ProbeFailure("password_env needs a keyword=value endpoint, not a URI");
    return endpoint + (endpoint.find('?') == std::string::npos ? "?" : "&") + "connect_timeout=" + std::to_string(connect_seconds) +
           "&options=-c%20statement_timeout%3D" + std::to_string(left.count()) + "&application_name=central-hub-probe";
  }
  std::string text = endpoint.empty() ? "host=" + quoted(std::string(target.host())) + " port=" + std::to_string(target.port()) +
                                            " dbname=" + quoted(dbname_) + " user=" + quoted(user_)
                                      : endpoint;
  if (!password_env_.empty()) {
    const char* password = std::getenv(password_env_.c_str());
    if (!password) throw ProbeFailure("the environment variable " + password_env_ + " (password_env) is not set");
    text += " password=" + quoted(password);
  }
  return text + " connect_timeout=" + std::to_string(connect_seconds) + " options='-c statement_timeout=" + std::to_string(left.count()) +
         "' application_name=central-hub-probe";
}

hub::ProbeResult PostgresProbe::check(const hub::ProbeTarget& target, hub::Deadline deadline) {
  return timed_check(host_, deadline, [&](SteadyTime until) {
    try {
      pqxx::connection connection(connection_string(target, until));
      pqxx::nontransaction work(connection);
      work.exec(query_);
      return hub::ProbeResult::healthy(query_ + ": ok");
    } catch (const pqxx::broken_connection& error) {
      throw ProbeFailure("connect: " + first_line(error.what()));
    } catch (const pqxx::sql_error& error) {
      throw ProbeFailure(query_ + ": " + first_line(error.what()));
    } catch (const pqxx::failure& error) {
      throw ProbeFailure(first_line(error.what()));
    }
  });
}

}  // namespace hub::probes
