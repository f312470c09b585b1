"""The classical floor every VLM row is read against: a small three-stream (RGB / depth / IR) CNN trained from
scratch on a paths version's training samples and scored with the same metric code as `pafas eval`."""
