import Foundation

/// The σ view of a VP schedule shared by the solvers (DPMSolverMultistepScheduler, EulerDiscreteScheduler):
/// σₜ = √((1 − ᾱₜ) / ᾱₜ), the noise-to-signal ratio of x_t / √ᾱₜ, and the numpy arithmetic diffusers
/// uses to pick σ's for n inference steps.
enum SigmaSchedule {
    /// σₜ per training timestep, in float32 as torch computes `((1 − ᾱ) / ᾱ) ** 0.5`.
    static func sigmas(_ schedule: NoiseSchedule) -> [Float] {
        schedule.alphasCumprod.map { ((1 - $0) / $0).squareRoot() }
    }

    /// np.linspace(start, stop, n) in float64: i · step + start, the last point exactly `stop`.
    static func numpyLinspace(_ start: Double, _ stop: Double, _ n: Int) -> [Double] {
        guard n > 1 else { return n == 1 ? [start] : [] }
        let step = (stop - start) / Double(n - 1)
        return (0..<n).map { $0 == n - 1 ? stop : Double($0) * step + start }
    }

    /// np.interp(x, arange(len(table)), table) in float64.
    static func interpolate(_ x: Double, _ table: [Float]) -> Double {
        guard x > 0 else { return Double(table[0]) }
        guard x < Double(table.count - 1) else { return Double(table[table.count - 1]) }
        let j = Int(x.rounded(.down))
        if Double(j) == x { return Double(table[j]) }
        let slope = Double(table[j + 1]) - Double(table[j])  // over xp[j + 1] − xp[j] = 1
        return slope * (x - Double(j)) + Double(table[j])
    }

    /// Karras et al. (2022)'s σ's, ρ = 7, from σ_max down to σ_min in n steps (diffusers' `_convert_to_karras`).
    static func karras(sigmaMin: Double, sigmaMax: Double, steps n: Int) -> [Double] {
        let rho = 7.0
        let minInvRho = pow(sigmaMin, 1 / rho), maxInvRho = pow(sigmaMax, 1 / rho)
        return numpyLinspace(0, 1, n).map { pow(maxInvRho + $0 * (minInvRho - maxInvRho), rho) }
    }

    /// The fractional timestep whose σ is `sigma`, interpolating log σ linearly (diffusers' `_sigma_to_t`);
    /// `logSigmas` is np.log of the float32 table, so float32.
    static func timestep(forSigma sigma: Double, logSigmas: [Float]) -> Double {
        let logSigma = log(max(sigma, 1e-10))
        // The last index whose log σ is ≤ log σ (0 if none), at most T − 2.
        let below = logSigmas.lastIndex { logSigma - Double($0) >= 0 } ?? 0
        let low = min(below, logSigmas.count - 2), high = low + 1
        let l = Double(logSigmas[low]), h = Double(logSigmas[high])
        let w = min(max((l - logSigma) / (l - h), 0), 1)
        return (1 - w) * Double(low) + w * Double(high)
    }

    /// diffusers' `index_for_timestep`: where the first step of a loop starts. With a repeated timestep the
    /// second occurrence (so that a loop started mid-schedule does not skip a σ). A timestep not in the list is
    /// an error here (DPM-Solver would silently take the last step).
    static func startIndex(of t: Int, in timesteps: [Int]) throws -> Int {
        let matches = timesteps.indices.filter { timesteps[$0] == t }
        guard let first = matches.first else {
            throw SchedulerError.invalid("timestep \(t) is not one of the \(timesteps.count) inference timesteps \(summarize(timesteps))")
        }
        return matches.count > 1 ? matches[1] : first
    }
}
