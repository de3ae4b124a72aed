#include <hub/event_bus.hpp>
#include <hub/testing.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

TEST(EventBus, DeliversToEverySubscriberUntilUnsubscribed) {
  hub::EventBus bus;
  std::vector<std::string> first, second;
  const uint64_t a = bus.subscribe([&](const hub::Event& e) { first.push_back(e.topic); });
  bus.subscribe([&](const hub::Event& e) { second.push_back(e.topic + ":" + e.json); });
  bus.publish({"one", "{}", 1});
  bus.unsubscribe(a);
  bus.publish({"two", "{\"x\":1}", 2});
  EXPECT_THAT(first, testing::ElementsAre("one"));
  EXPECT_THAT(second, testing::ElementsAre("one:{}", "two:{\"x\":1}"));
}

TEST(EventBus, AHandlerMayUnsubscribeItself) {
  hub::EventBus bus;
  int calls = 0;
  uint64_t id = 0;
  id = bus.subscribe([&](const hub::Event&) {
    ++calls;
    bus.unsubscribe(id);
  });
  bus.publish({"a", "{}", 0});
  bus.publish({"b", "{}", 0});
  EXPECT_EQ(calls, 1);
}

TEST(EventBus, TheHubAnnouncesItsStopOnTheBus) {
  std::vector<std::string> topics;
  {
    hub::testing::TestHub hub;
    hub->events().subscribe([&](const hub::Event& e) { topics.push_back(e.topic + " " + e.json); });
  }
  ASSERT_EQ(topics.size(), 1u);
  EXPECT_EQ(topics[0], R"(hub.stopping {"deployment":"embedded"})");
}

TEST(EventBus, ASubscriberGetsOnlyTheTopicsItAskedForAndAPublisherCanTellWhetherAnyoneListens) {
  hub::EventBus bus;
  EXPECT_FALSE(bus.wanted("config.svc"));
  std::vector<std::string> seen;
  const uint64_t id = bus.subscribe([&](const hub::Event& e) { seen.push_back(e.topic); }, {"liveness.", "plugin.crashed"});
  for (const char* topic : {"liveness.suspended", "config.svc", "plugin.crashed", "plugin.loaded"}) bus.publish({topic, "{}", 0});
  EXPECT_EQ(seen, (std::vector<std::string>{"liveness.suspended", "plugin.crashed"}));
  EXPECT_TRUE(bus.wanted("liveness.resumed"));
  EXPECT_TRUE(bus.wanted("liveness."));
  EXPECT_TRUE(bus.wanted("plugin."));  // some topics under it are wanted
  EXPECT_FALSE(bus.wanted("config."));
  EXPECT_FALSE(bus.wanted("instance.registered"));
  bus.subscribe([](const hub::Event&) {});  // everything
  EXPECT_TRUE(bus.wanted("instance.registered"));
  bus.unsubscribe(id);
}
