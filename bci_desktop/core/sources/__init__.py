"""Where samples come from: BrainFlow boards, the simulated subject, replay."""
