#include "plugin_host/plugin_loader.hpp"
#include <hub/errors.hpp>
#include "health/health_probe.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

using hub::PluginError;
using hub::PluginLoader;
using testing::AllOf;
using testing::HasSubstr;

namespace {

std::string fixture(const std::string& name) {
  return std::string(HUB_FIXTURE_DIR) + "/" + name + ".so";
}

// The message of the PluginError that loading `name_or_path` throws.
std::string refusal(PluginLoader& loader, const std::string& name_or_path) {
  try {
    loader.load(name_or_path);
  } catch (const PluginError& error) {
    return error.what();
  }
  ADD_FAILURE() << name_or_path << " loaded, but should have been refused";
  return "";
}

std::string refusal(const std::string& name_or_path) {
  PluginLoader loader;
  return refusal(loader, name_or_path);
}

}  // namespace

TEST(PluginLoader, LoadsACPluginBuiltAgainstAbi10AndListsEveryKind) {
  PluginLoader loader;
  auto library = loader.load(fixture("fixture-abi-1-0"));
  EXPECT_EQ(library->name(), "abi-fixture");
  EXPECT_EQ(library->abi_version(), HUB_MAKE_VERSION(1, 0, 0));
  ASSERT_EQ(library->descriptor().implementation_count, 5u);
  EXPECT_NE(library->find("echo", HUB_KIND_HEALTH_PROBE), nullptr);
  EXPECT_NE(library->find("empty", HUB_KIND_DISCOVERY), nullptr);
  EXPECT_NE(library->find("first", HUB_KIND_LOAD_BALANCER), nullptr);
  EXPECT_NE(library->find("always_closed", HUB_KIND_CIRCUIT_BREAKER), nullptr);
  EXPECT_NE(library->find("noop", HUB_KIND_DEPLOYMENT_COORDINATOR), nullptr);
  EXPECT_EQ(library->find("echo", HUB_KIND_LOAD_BALANCER), nullptr);
}

TEST(PluginLoader, APluginOfAnOlderMinorLoadsIntoANewerHost) {
  // This hub speaks 1.0; a host of 1.3 stands in for the hub of a later release.
  PluginLoader newer_host({.search_paths = {}, .host_abi_version = HUB_MAKE_VERSION(1, 3, 0)});
  auto library = newer_host.load(fixture("fixture-abi-1-0"));
  EXPECT_EQ(library->abi_version(), HUB_MAKE_VERSION(1, 0, 0));
}

TEST(PluginLoader, ANewerMajorIsRefusedWithBothVersions) {
  EXPECT_THAT(refusal(fixture("fixture-newer-major")),
              AllOf(HasSubstr("fixture-newer-major.so"), HasSubstr("ABI 2.0.0"), HasSubstr("speaks ABI 1.2.0"), HasSubstr("rebuild")));
}

TEST(PluginLoader, ANewerMinorIsRefusedWithBothVersions) {
  EXPECT_THAT(refusal(fixture("fixture-newer-minor")), AllOf(HasSubstr("fixture-newer-minor.so"), HasSubstr("ABI 1.2.0"),
                                                             HasSubstr("newer than this hub's ABI 1.2.0"), HasSubstr("upgrade the hub")));
}

TEST(PluginLoader, AnOlderMajorIsRefused) {
  PluginLoader future_host({.search_paths = {}, .host_abi_version = HUB_MAKE_VERSION(2, 0, 0)});
  EXPECT_THAT(refusal(future_host, fixture("fixture-abi-1-0")), AllOf(HasSubstr("ABI 1.0.0"), HasSubstr("majors must match")));
}

TEST(PluginLoader, AMissingFileNamesEveryPathTried) {
  PluginLoader loader({.search_paths = {"/nonexistent/a", "/nonexistent/b"}});
  EXPECT_THAT(refusal(loader, "no-such-plugin"),
              AllOf(HasSubstr("'no-such-plugin': file not found"), HasSubstr("/nonexistent/a/no-such-plugin.so"),
                    HasSubstr("/nonexistent/a/libno-such-plugin.so"), HasSubstr("/nonexistent/b/no-such-plugin.so")));
  EXPECT_THAT(refusal("/nonexistent/x.so"), HasSubstr("/nonexistent/x.so: file not found"));
}

TEST(PluginLoader, ANameIsFoundThroughTheSearchPaths) {
  PluginLoader loader({.search_paths = {"/nonexistent", HUB_FIXTURE_DIR}});
  EXPECT_EQ(loader.load("fixture-abi-1-0")->name(), "abi-fixture");
}

TEST(PluginLoader, NotASharedLibraryGivesTheLoadersMessage) {
  EXPECT_THAT(refusal(fixture("not-a-library")), AllOf(HasSubstr("not-a-library.so: cannot load:"), HasSubstr("invalid ELF header")));
}

TEST(PluginLoader, AnUnresolvedSymbolFailsAtLoadNotAtFirstCall) {
  EXPECT_THAT(refusal(fixture("fixture-unresolved")),
              AllOf(HasSubstr("cannot load:"), HasSubstr("undefined symbol: hub_fixture_symbol_nobody_defines")));
}

TEST(PluginLoader, ALibraryWithoutTheEntrySymbolIsRefused) {
  EXPECT_THAT(refusal(fixture("fixture-no-entry")),
              AllOf(HasSubstr("fixture-no-entry.so"), HasSubstr("no entry symbol 'hub_plugin_entry'")));
}

TEST(PluginLoader, AMissingRequiredHookIsNamedForEveryKind) {
  const std::pair<int, std::string> cases[] = {{1, "'empty' (discovery) lacks the required hook 'stop'"},
                                               {2, "'echo' (health_probe) lacks the required hook 'check'"},
                                               {3, "'first' (load_balancer) lacks the required hook 'pick'"},
                                               {4, "'always_closed' (circuit_breaker) lacks the required hook 'record'"},
                                               {5, "'noop' (deployment_coordinator) lacks the required hook 'next_step'"}};
  for (const auto& [kind, message] : cases) {
    SCOPED_TRACE(kind);
    EXPECT_THAT(refusal(fixture("fixture-missing-hook-" + std::to_string(kind))), HasSubstr(message));
  }
}

TEST(PluginLoader, LoadingTheSameFileTwiceGivesTheSameLibrary) {
  PluginLoader loader;
  EXPECT_EQ(loader.load(fixture("fixture-abi-1-0")), loader.load(fixture("fixture-abi-1-0")));
}

TEST(PluginLoader, ALibraryStaysLoadedWhileAnInstanceOfItLives) {
  std::unique_ptr<hub::PluginInstance> instance;
  {
    PluginLoader loader;
    auto library = loader.load(fixture("fixture-abi-1-0"));
    instance = hub::PluginInstance::create(library, *library->find("echo"), "echo", {}, {});
  }  // the loader and every other reference are gone
  hub::HealthProbe probe(std::move(instance));
  EXPECT_EQ(probe.check({.name = "t", .endpoint = "still here"}, std::chrono::seconds(1)).message, "still here");
}

TEST(PluginLoader, AMemberBeyondStructSizeIsNeverCalled) {
  // The truncated fixture's optional `cancel` lies past its struct_size and aborts if called.
  PluginLoader loader;
  auto library = loader.load(fixture("fixture-truncated"));
  hub::HealthProbe probe(hub::PluginInstance::create(library, *library->find("echo"), "echo", {}, {}));
  hub::ProbeOutcome outcome = probe.check({.name = "t", .endpoint = "ok"}, std::chrono::seconds(1));
  EXPECT_EQ(outcome.status, HUB_HEALTH_HEALTHY);
  EXPECT_EQ(outcome.latency_us, 7);
}

TEST(PluginLoader, AThrowingConstructorIsContainedWithItsMessage) {
  PluginLoader loader;
  auto library = loader.load(fixture("throwing-plugin"));
  try {
    hub::PluginInstance::create(library, *library->find("throws_in_constructor"), "strict", hub::PluginConfig::from_yaml("threshold: 150"),
                                {});
    FAIL() << "create succeeded";
  } catch (const PluginError& error) {
    EXPECT_THAT(error.what(),
                AllOf(HasSubstr("throwing-plugin.so"), HasSubstr("'throws_in_constructor' (health_probe) as 'strict'"),
                      HasSubstr("failed to initialize: constructor refused: threshold 150 is out of range"), HasSubstr("status 13")));
  }
}

TEST(PluginLoader, AThrownNonExceptionIsContainedToo) {
  PluginLoader loader;
  auto library = loader.load(fixture("throwing-plugin"));
  EXPECT_THROW(
      {
        try {
          hub::PluginInstance::create(library, *library->find("throws_something_odd"), "odd", {}, {});
        } catch (const PluginError& error) {
          EXPECT_THAT(error.what(), HasSubstr("failed to initialize: unknown exception"));
          throw;
        }
      },
      PluginError);
}

TEST(PluginLoader, AThrowingProbeHookBecomesADownResult) {
  PluginLoader loader;
  auto library = loader.load(fixture("throwing-plugin"));
  hub::HealthProbe probe(hub::PluginInstance::create(library, *library->find("throws_in_check"), "thrower", {}, {}));
  hub::ProbeOutcome outcome = probe.check({.name = "db", .host = "10.0.0.9"}, std::chrono::seconds(1));
  EXPECT_EQ(outcome.status, HUB_HEALTH_DOWN);
  EXPECT_EQ(outcome.message, "probe failed: cannot reach 10.0.0.9");
}

TEST(PluginLoader, AThrowingLoadBalancerHookReturnsItsCodeAndMessage) {
  PluginLoader loader;
  auto library = loader.load(fixture("throwing-plugin"));
  auto instance = hub::PluginInstance::create(library, *library->find("throws_in_pick"), "picky", {}, {});
  const auto& vtable = instance->vtable<hub_load_balancer_vtable>();
  size_t index = 99;
  EXPECT_EQ(vtable.pick(instance->handle(), {nullptr, 0}, 0, &index), HUB_FAILED_PRECONDITION);
  EXPECT_EQ(instance->last_error(), "no candidates were ever given");
  EXPECT_EQ(index, 99u);
}
