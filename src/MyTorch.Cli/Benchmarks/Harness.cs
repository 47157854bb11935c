using System.Diagnostics;
using System.Text.Json.Nodes;
using MyTorch.Kernels;

namespace MyTorch.Cli.Benchmarks;

/// <summary>
/// The repetitions of one throughput measurement (higher is better): median, best, worst, mean, and the spread
/// (worst to best as a percentage of the median) that says how noisy the machine was.
/// </summary>
/// <param name="Median">The median repetition: the figure comparisons use.</param>
/// <param name="Best">The fastest repetition.</param>
/// <param name="Worst">The slowest repetition.</param>
/// <param name="Mean">The mean over the repetitions.</param>
/// <param name="SpreadPercent">(best - worst) / median, in percent.</param>
/// <param name="Values">Every repetition, in the order measured.</param>
public sealed record SampleSummary(double Median, double Best, double Worst, double Mean, double SpreadPercent, IReadOnlyList<double> Values)
{
    /// <summary>
    /// The <see cref="CoreCheck"/> scaling measured right after each repetition (same order as <see cref="Values"/>),
    /// for multi-threaded measurements; null for one thread.
    /// </summary>
    public IReadOnlyList<double>? CoreScaling { get; init; }

    /// <summary>Summarizes throughput values, one per timed repetition.</summary>
    /// <exception cref="ArgumentException">There are no values.</exception>
    public static SampleSummary Of(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0) throw new ArgumentException("A summary needs at least one value.", nameof(values));
        var sorted = values.Order().ToArray();
        int n = sorted.Length;
        double median = n % 2 == 1 ? sorted[n / 2] : (sorted[(n / 2) - 1] + sorted[n / 2]) / 2;
        double spread = median > 0 ? (sorted[^1] - sorted[0]) / median * 100 : 0;
        return new SampleSummary(median, sorted[^1], sorted[0], sorted.Average(), spread, values.ToArray());
    }

    /// <summary>
    /// The summary as JSON: median, best, worst, mean, spread_pct, repetitions, the values in the order measured, and
    /// core_scaling (the core check after each repetition) when measured.
    /// </summary>
    public JsonObject ToJson()
    {
        var json = new JsonObject
        {
            ["median"] = Round(Median),
            ["best"] = Round(Best),
            ["worst"] = Round(Worst),
            ["mean"] = Round(Mean),
            ["spread_pct"] = Math.Round(SpreadPercent, 1),
            ["repetitions"] = Values.Count,
            ["values"] = new JsonArray(Values.Select(v => (JsonNode?)Round(v)).ToArray()),
        };
        if (CoreScaling is not null) json["core_scaling"] = new JsonArray(CoreScaling.Select(v => (JsonNode?)Math.Round(v, 2)).ToArray());
        return json;
    }

    /// <summary>Four significant digits are more than the measurements' precision.</summary>
    internal static double Round(double value) =>
        value == 0 || !double.IsFinite(value) ? value : Math.Round(value, Math.Max(0, 3 - (int)Math.Floor(Math.Log10(Math.Abs(value)))));
}

/// <summary>Warm-up, calibration and timed repetitions with <see cref="Stopwatch"/>.</summary>
public static class Harness
{
    /// <summary>
    /// Runs <paramref name="call"/> untimed for at least <see cref="BenchSettings.WarmupSeconds"/> (and twice at
    /// least, once when quick, so the first call's JIT and buffer allocation are out of the way), picks a call count that makes one
    /// repetition last about <see cref="BenchSettings.RepetitionSeconds"/>, then times
    /// <see cref="BenchSettings.Repetitions"/> repetitions. Returns the work per second of each repetition, where
    /// one call does <paramref name="workPerCall"/> units of work (flops, samples).
    /// </summary>
    public static SampleSummary Throughput(BenchSettings settings, double workPerCall, Action call)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(call);
        int calls = CallsPerRepetition(settings.RepetitionSeconds, WarmUp(settings.WarmupSeconds, settings.Quick ? 1 : 2, call));
        return Repetitions(settings, () => TimedRate(call, calls, workPerCall));
    }

    /// <summary>
    /// Runs <see cref="BenchSettings.Repetitions"/> timed repetitions (each returns its rate) and summarizes them; with
    /// more than one kernel thread, a short <see cref="CoreCheck"/> after each says whether that repetition can have
    /// had a whole core per thread (<see cref="SampleSummary.CoreScaling"/>: a VM's cores change state within seconds).
    /// </summary>
    public static SampleSummary Repetitions(BenchSettings settings, Func<double> repetition)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(repetition);
        int threads = KernelOptions.MaxThreads;
        var rates = new double[settings.Repetitions];
        var scaling = threads > 1 ? new double[rates.Length] : null;
        for (int r = 0; r < rates.Length; r++)
        {
            rates[r] = repetition();
            if (scaling is not null) scaling[r] = CoreCheck.Measure(threads, settings.CoreCheckSamplesBetweenRepetitions).Scaling.Median;
        }
        return SampleSummary.Of(rates) with { CoreScaling = scaling };
    }

    /// <summary>
    /// Times two implementations of the same work alternately: after warming up and calibrating both, each of twice
    /// <see cref="BenchSettings.Repetitions"/> rounds times one half-length repetition of each (the order swapping
    /// every round), so that a machine whose speed drifts slows both alike. Returns both throughputs and the ratio
    /// ours / theirs of each round, whose median is the paired comparison.
    /// </summary>
    /// <param name="settings">Repetitions and their length.</param>
    /// <param name="workPerCall">Units of work (flops, samples) one call of either side does.</param>
    /// <param name="ours">MyTorch's side.</param>
    /// <param name="theirs">The reference's side.</param>
    /// <param name="theirsSpin">
    /// How long the reference's threads keep spinning after its last call (<see cref="ReferenceBlas.ThreadSpin"/>):
    /// the next half waits that long, so that it does not share the cores with them. MyTorch's own workers spin for
    /// 0.2 ms; the reference's half waits 1 ms after ours, so each side starts on idle cores.
    /// </param>
    public static (SampleSummary Ours, SampleSummary Theirs, SampleSummary Ratio) PairedThroughput(BenchSettings settings,
        double workPerCall, Action ours, Action theirs, TimeSpan theirsSpin = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(ours);
        ArgumentNullException.ThrowIfNull(theirs);
        int minimumCalls = settings.Quick ? 1 : 2;
        double seconds = settings.RepetitionSeconds / 2;
        int oursCalls = CallsPerRepetition(seconds, WarmUp(settings.WarmupSeconds, minimumCalls, ours));
        int theirsCalls = CallsPerRepetition(seconds, WarmUp(settings.WarmupSeconds, minimumCalls, theirs));
        var oursSpin = TimeSpan.FromMilliseconds(1);
        double Half(Action call, int calls, TimeSpan pause)
        {
            double rate = TimedRate(call, calls, workPerCall);
            if (pause > TimeSpan.Zero) Thread.Sleep(pause);
            return rate;
        }
        double OursHalf() => Half(ours, oursCalls, oursSpin);
        double TheirsHalf() => Half(theirs, theirsCalls, theirsSpin);

        Thread.Sleep(theirsSpin > oursSpin ? theirsSpin : oursSpin); // after both warm-ups
        int rounds = 2 * settings.Repetitions;
        var oursRates = new double[rounds];
        var theirsRates = new double[rounds];
        var ratios = new double[rounds];
        for (int r = 0; r < rounds; r++)
        {
            if (r % 2 == 0)
            {
                oursRates[r] = OursHalf();
                theirsRates[r] = TheirsHalf();
            }
            else
            {
                theirsRates[r] = TheirsHalf();
                oursRates[r] = OursHalf();
            }
            ratios[r] = oursRates[r] / theirsRates[r];
        }
        return (SampleSummary.Of(oursRates), SampleSummary.Of(theirsRates), SampleSummary.Of(ratios));
    }

    /// <summary>How many calls of <paramref name="lastCallSeconds"/> each fill a repetition of <paramref name="seconds"/> (1 to a million).</summary>
    private static int CallsPerRepetition(double seconds, double lastCallSeconds) =>
        (int)Math.Clamp(Math.Ceiling(seconds / Math.Max(lastCallSeconds, 1e-9)), 1, 1_000_000);

    /// <summary>Work per second over <paramref name="calls"/> calls in a row.</summary>
    private static double TimedRate(Action call, int calls, double workPerCall)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < calls; i++) call();
        return workPerCall * calls / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    /// <summary>Calls until <paramref name="seconds"/> have passed and at least <paramref name="minimumCalls"/> calls were made; returns the last call's seconds.</summary>
    public static double WarmUp(double seconds, int minimumCalls, Action call)
    {
        ArgumentNullException.ThrowIfNull(call);
        long begin = Stopwatch.GetTimestamp();
        double last;
        int count = 0;
        do
        {
            long start = Stopwatch.GetTimestamp();
            call();
            last = Stopwatch.GetElapsedTime(start).TotalSeconds;
            count++;
        }
        while (count < minimumCalls || Stopwatch.GetElapsedTime(begin).TotalSeconds < seconds);
        return last;
    }
}
