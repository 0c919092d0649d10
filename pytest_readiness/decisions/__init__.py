"""What turns results into a verdict: waivers, the baseline, the exit policy and the clock."""
