/// Diffusion models and schedulers built on DNBEngine.
public enum DNBDiffusion {}
