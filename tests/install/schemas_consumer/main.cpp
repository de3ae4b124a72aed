// Writes a batch of ticks in an envelope and reads it back, with the installed schemas only.
#include <common/tick_data.pb.h>
#include <trading/signals.pb.h>

#include <iostream>

int main() {
  aitrading::common::BatchTickData batch;
  batch.set_source("polygon-live-collector");
  auto* tick = batch.add_ticks();
  tick->set_symbol("EURUSD");
  tick->set_bid(1.0851);
  aitrading::common::MessageEnvelope envelope;
  envelope.set_message_type("tick_data");
  envelope.set_payload(batch.SerializeAsString());
  aitrading::common::MessageEnvelope received;
  aitrading::common::BatchTickData read;
  if (!received.ParseFromString(envelope.SerializeAsString()) || !read.ParseFromString(received.payload())) return 1;
  aitrading::trading::TradingSignal signal;
  signal.set_direction(aitrading::trading::SIGNAL_DIRECTION_BUY);
  std::cout << received.message_type() << " " << read.ticks(0).symbol() << " " << read.ticks(0).bid() << " "
            << aitrading::trading::SignalDirection_Name(signal.direction()) << "\n";
  return read.ticks(0).symbol() == "EURUSD" ? 0 : 1;
}
