// Test builders shared by the test targets.
