using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Text.Json.Nodes;
using MyTorch.Kernels;

namespace MyTorch.Cli.Benchmarks;

/// <summary>
/// Whether the kernels' threads get a whole core each right now: the FMA throughput of that many threads together,
/// against one thread alone, on a loop that touches no memory. The same loop gives the machine's FMA ceiling for the
/// kernels: it runs at their vector width, so its all-threads GFLOP/s is the most any product can reach.
/// </summary>
/// <remarks>
/// <para>
/// On a virtual machine the logical processors are the host's to place. The 2-vCPU machine these benchmarks were
/// tuned on reports two cores of one thread each, yet for seconds to minutes at a time its two vCPUs deliver one core's FMA
/// throughput between them (as two hyperthreads of one core would), and then two again. A multi-threaded figure, and
/// a ratio of two of them taken seconds apart, means little unless it says which machine it ran on; this check says
/// that. Its loop keeps ten independent FMA chains in registers, enough to fill both FMA ports of one core, so
/// threads that share a core's ports divide its throughput instead of adding to it.
/// </para>
/// <para>
/// It alternates short samples of one thread and of all threads (about 10 ms each) and reports the scaling of each
/// pair: about the thread count on whole cores, about 1 where all threads share one core.
/// </para>
/// <para>
/// The chains are Vector512 when the kernels run on that path, Vector256 otherwise. Many CPUs lower their clock while
/// they run 512-bit FMAs, so a 256-bit loop would overstate what a 512-bit GEMM can reach on them; and on a CPU with
/// one 512-bit FMA port, understate it. Measured at the kernels' width, the all-threads GFLOP/s is their ceiling:
/// bench/compare_results.py sets both sides' inference GFLOP/s against it.
/// </para>
/// </remarks>
public static class CoreCheck
{
    /// <summary>
    /// Scaling at or above this fraction of the thread count counts as whole cores. The two states give about the
    /// thread count and about 1; a sample between them straddled a change of state.
    /// </summary>
    public const double WholeCoresFraction = 0.8;

    private const int ChainsPerThread = 10; // FMA latency 4 x 2 ports = 8 in flight fill a core; 10 leave a margin

    /// <summary>Measures <paramref name="samples"/> pairs of one-thread and <paramref name="threads"/>-thread runs.</summary>
    /// <param name="threads">The thread count to check (2 or more).</param>
    /// <param name="samples">Pairs of runs; each pair takes about 20 ms.</param>
    /// <exception cref="ArgumentOutOfRangeException">Fewer than 2 threads or fewer than 1 sample.</exception>
    public static CoreCheckResult Measure(int threads, int samples)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(samples, 1);
        int bits = VectorBits;
        var crew = CrewFor(threads, bits);
        var single = new double[samples];
        var together = new double[samples];
        var scaling = new double[samples];
        lock (crew) // one caller at a time: the crew's barriers pair one sample's threads
        {
            for (int s = 0; s < samples; s++)
            {
                long start = Stopwatch.GetTimestamp();
                Chains(bits, crew.Iterations);
                single[s] = Gflops(bits, crew.Iterations, Stopwatch.GetElapsedTime(start));
                together[s] = threads * Gflops(bits, crew.Iterations, crew.RunTogether());
                scaling[s] = together[s] / single[s];
            }
        }
        return new CoreCheckResult(threads, SampleSummary.Of(single), SampleSummary.Of(together), SampleSummary.Of(scaling)) { VectorBits = bits };
    }

    /// <summary>The width of the chains in bits: 512 when the kernels run on the Vector512 path, else 256.</summary>
    public static int VectorBits => KernelOptions.ActivePath == KernelPath.Vector512 ? 512 : 256;

    // One calibrated crew per thread count and width, kept for the process: the benchmarks check between their
    // repetitions, and parked helper threads cost nothing meanwhile.
    private static readonly Dictionary<(int Threads, int Bits), Crew> Crews = [];

    private static Crew CrewFor(int threads, int bits)
    {
        lock (Crews)
        {
            if (!Crews.TryGetValue((threads, bits), out var crew))
                Crews[(threads, bits)] = crew = new Crew(threads - 1, bits, Calibrate(bits, TimeSpan.FromMilliseconds(10)));
            return crew;
        }
    }

    private static double Gflops(int bits, long iterations, TimeSpan elapsed) =>
        iterations * ChainsPerThread * (bits / 32) * 2.0 / Math.Max(elapsed.TotalSeconds, 1e-9) / 1e9;

    /// <summary>Iterations of the chains that take about <paramref name="target"/> on one thread (after their JIT).</summary>
    private static long Calibrate(int bits, TimeSpan target)
    {
        long iterations = 10_000;
        Chains(bits, iterations);
        while (true)
        {
            long start = Stopwatch.GetTimestamp();
            Chains(bits, iterations);
            var elapsed = Stopwatch.GetElapsedTime(start);
            if (elapsed >= target / 4 || iterations > 1L << 34)
                return Math.Max(1, (long)(iterations * target.TotalSeconds / Math.Max(elapsed.TotalSeconds, 1e-9)));
            iterations *= 4;
        }
    }

    private static float Chains(int bits, long iterations) => bits == 512 ? Chains512(iterations) : Chains256(iterations);

    /// <summary>Ten independent FMA chains in registers: no loads or stores, so only the core's FMA ports limit it.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Chains256(long iterations)
    {
        var m = Vector256.Create(0.999999f);
        var c = Vector256.Create(1e-7f);
        Vector256<float> a0 = Vector256<float>.One, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0;
        for (long i = 0; i < iterations; i++)
        {
            a0 = Vector256.FusedMultiplyAdd(a0, m, c);
            a1 = Vector256.FusedMultiplyAdd(a1, m, c);
            a2 = Vector256.FusedMultiplyAdd(a2, m, c);
            a3 = Vector256.FusedMultiplyAdd(a3, m, c);
            a4 = Vector256.FusedMultiplyAdd(a4, m, c);
            a5 = Vector256.FusedMultiplyAdd(a5, m, c);
            a6 = Vector256.FusedMultiplyAdd(a6, m, c);
            a7 = Vector256.FusedMultiplyAdd(a7, m, c);
            a8 = Vector256.FusedMultiplyAdd(a8, m, c);
            a9 = Vector256.FusedMultiplyAdd(a9, m, c);
        }
        return (a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9).GetElement(0); // kept, so the loop is not dead code
    }

    /// <summary><see cref="Chains256"/> on Vector512 (the JIT needs the concrete vector type to keep the chains in registers).</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Chains512(long iterations)
    {
        var m = Vector512.Create(0.999999f);
        var c = Vector512.Create(1e-7f);
        Vector512<float> a0 = Vector512<float>.One, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0;
        for (long i = 0; i < iterations; i++)
        {
            a0 = Vector512.FusedMultiplyAdd(a0, m, c);
            a1 = Vector512.FusedMultiplyAdd(a1, m, c);
            a2 = Vector512.FusedMultiplyAdd(a2, m, c);
            a3 = Vector512.FusedMultiplyAdd(a3, m, c);
            a4 = Vector512.FusedMultiplyAdd(a4, m, c);
            a5 = Vector512.FusedMultiplyAdd(a5, m, c);
            a6 = Vector512.FusedMultiplyAdd(a6, m, c);
            a7 = Vector512.FusedMultiplyAdd(a7, m, c);
            a8 = Vector512.FusedMultiplyAdd(a8, m, c);
            a9 = Vector512.FusedMultiplyAdd(a9, m, c);
        }
        return (a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9).GetElement(0);
    }

    /// <summary>
    /// Helper threads of their own (not the kernels' pool, whose scheduling is one of the things measured elsewhere),
    /// released together with the calling thread for each sample; background threads that live as long as the process.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Crews live as long as the process.")]
    private sealed class Crew
    {
        private readonly Barrier start, done;

        private readonly int bits;

        public Crew(int helperCount, int bits, long iterations)
        {
            this.bits = bits;
            Iterations = iterations;
            start = new Barrier(helperCount + 1);
            done = new Barrier(helperCount + 1);
            for (int i = 0; i < helperCount; i++)
                new Thread(Loop) { IsBackground = true, Name = $"MyTorch core check {i + 1}" }.Start();
        }

        /// <summary>Iterations of the chains per thread and sample (about 10 ms on one thread).</summary>
        public long Iterations { get; }

        /// <summary>Every thread runs the chains once; returns the time until the last one finished.</summary>
        public TimeSpan RunTogether()
        {
            start.SignalAndWait();
            long begin = Stopwatch.GetTimestamp();
            Chains(bits, Iterations);
            done.SignalAndWait();
            return Stopwatch.GetElapsedTime(begin);
        }

        private void Loop()
        {
            while (true)
            {
                start.SignalAndWait();
                Chains(bits, Iterations);
                done.SignalAndWait();
            }
        }
    }
}

/// <summary>One <see cref="CoreCheck"/>: GFLOP/s of one thread alone and per thread of all together, and their scaling.</summary>
/// <param name="Threads">The threads run together.</param>
/// <param name="OneThread">GFLOP/s of one thread alone, per sample.</param>
/// <param name="AllThreads">GFLOP/s of all threads together (summed), per sample.</param>
/// <param name="Scaling">All threads' GFLOP/s over one thread's, per sample: about <see cref="Threads"/> on whole cores.</param>
public sealed record CoreCheckResult(int Threads, SampleSummary OneThread, SampleSummary AllThreads, SampleSummary Scaling)
{
    /// <summary>The width of the FMA chains in bits (<see cref="CoreCheck.VectorBits"/>), which the GFLOP/s figures depend on.</summary>
    public int VectorBits { get; init; } = 256;

    /// <summary>The share of samples whose scaling reached <see cref="CoreCheck.WholeCoresFraction"/> of the thread count.</summary>
    public double WholeCoresShare =>
        Scaling.Values.Count(s => s >= CoreCheck.WholeCoresFraction * Threads) / (double)Scaling.Values.Count;

    /// <summary>
    /// The result as JSON: scaling (median, worst, best and every sample), the share on whole cores, the GFLOP/s medians
    /// and the best all-threads GFLOP/s (the FMA ceiling seen), at <see cref="VectorBits"/>.
    /// </summary>
    public JsonObject ToJson() => new()
    {
        ["threads"] = Threads,
        ["scaling"] = Scaling.ToJson(),
        ["whole_cores_share"] = Math.Round(WholeCoresShare, 2),
        ["one_thread_gflops_median"] = SampleSummary.Round(OneThread.Median),
        ["all_threads_gflops_median"] = SampleSummary.Round(AllThreads.Median),
        ["all_threads_gflops_best"] = SampleSummary.Round(AllThreads.Best),
        ["vector_bits"] = VectorBits,
    };
}
