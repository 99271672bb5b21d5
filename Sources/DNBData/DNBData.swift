/// Datasets: reading, verifying, locating and preparing images for training.
public enum DNBData {}
