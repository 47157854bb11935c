using System.Text.Json.Nodes;
using MyTorch.Kernels;

namespace MyTorch.Cli.Benchmarks;

/// <summary>
/// One SGEMM shape: C (m x n) = op(A) (m x k) · op(B) (k x n). <see cref="Op"/> is <c>AB</c>, <c>AtB</c> (A stored
/// k x m, as the weight gradient x^T g reads the layer input) or <c>ABt</c> (B stored n x k, as the input gradient
/// g W^T reads the weight); no transpose is materialized. <see cref="Name"/> is the key both sides of the
/// PyTorch comparison use.
/// </summary>
public sealed record GemmCase(string Op, int M, int K, int N, string Role)
{
    /// <summary>The op and m x k x n, for example <c>AtB 784x128x256</c>.</summary>
    public string Name => $"{Op} {M}x{K}x{N}";

    /// <summary>Whether A is stored transposed.</summary>
    public bool TransposeA => Op == "AtB";

    /// <summary>Whether B is stored transposed.</summary>
    public bool TransposeB => Op == "ABt";

    /// <summary>Floating-point operations of one product (a multiply and an add per term).</summary>
    public double Flops => 2.0 * M * K * N;

    /// <summary>The shapes of the MLP 784-256-128-10 at batch 128 (forward and both backward forms) and square ones.</summary>
    public static IReadOnlyList<GemmCase> Standard(bool large)
    {
        var cases = new List<GemmCase>
        {
            new("AB", 128, 784, 256, "fc1 forward x W"),
            new("AB", 128, 256, 128, "fc2 forward"),
            new("AtB", 784, 128, 256, "fc1 weight gradient x^T g"),
            new("AtB", 256, 128, 128, "fc2 weight gradient"),
            new("ABt", 128, 256, 784, "fc1 input gradient g W^T"),
            new("ABt", 128, 128, 256, "fc2 input gradient"),
            new("AB", 256, 256, 256, "square"),
        };
        if (large)
        {
            cases.Add(new("AB", 512, 512, 512, "square"));
            cases.Add(new("AtB", 512, 512, 512, "square, A transposed"));
            cases.Add(new("ABt", 512, 512, 512, "square, B transposed"));
            cases.Add(new("AB", 1024, 1024, 1024, "square"));
        }
        return cases;
    }
}

/// <summary>SGEMM GFLOP/s through <see cref="Gemm.Multiply{T}"/> for each <see cref="GemmCase"/>, multi- and single-threaded.</summary>
public static class GemmBenchmark
{
    /// <summary>
    /// Measures every case at <see cref="BenchSettings.Threads"/> threads and, when that is more than one, at one thread.
    /// With a <paramref name="reference"/> library, each case is timed alternately with its cblas_sgemm (at the same
    /// thread count) and the row adds the reference's GFLOP/s and the paired ratio.
    /// </summary>
    public static JsonArray Run(BenchSettings settings, Action<string> progress, ReferenceBlas? reference = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(progress);
        var results = new JsonArray();
        int[] threadCounts = settings.Threads > 1 ? [settings.Threads, 1] : [1];
        int saved = KernelOptions.MaxThreads;
        try
        {
            foreach (var threads in threadCounts)
            {
                KernelOptions.MaxThreads = threads;
                foreach (var gemm in GemmCase.Standard(settings.LargeGemmShapes))
                {
                    progress($"gemm {gemm.Name} on {threads} thread{(threads == 1 ? "" : "s")}{(reference is null ? "" : ", paired with the reference BLAS")}");
                    JsonObject? paired = null;
                    SampleSummary gflops;
                    if (reference is null)
                    {
                        gflops = Measure(settings, gemm);
                    }
                    else
                    {
                        reference.SetThreads(threads);
                        (gflops, var theirs, var ratio) = MeasurePaired(settings, gemm, reference);
                        paired = new JsonObject
                        {
                            ["library"] = reference.Path,
                            ["core"] = reference.Core,
                            ["threads"] = reference.CanSetThreads ? threads : null,
                            // The pause after each of its halves, while its threads stop spinning (see PairedThroughput).
                            ["pause_after_seconds"] = Math.Round(reference.PauseAfterCall(threads).TotalSeconds, 3),
                            ["gflops"] = theirs.ToJson(),
                            ["ratio"] = ratio.ToJson(),
                        };
                    }
                    results.Add(new JsonObject
                    {
                        ["name"] = gemm.Name,
                        ["op"] = gemm.Op,
                        ["m"] = gemm.M,
                        ["k"] = gemm.K,
                        ["n"] = gemm.N,
                        ["role"] = gemm.Role,
                        ["backend"] = "mytorch",
                        ["threads"] = threads,
                        ["gflops"] = gflops.ToJson(),
                        ["paired_reference"] = paired,
                    });
                }
            }
        }
        finally
        {
            KernelOptions.MaxThreads = saved;
        }
        return results;
    }

    /// <summary>GFLOP/s of one case at the current <see cref="KernelOptions.MaxThreads"/>.</summary>
    public static SampleSummary Measure(BenchSettings settings, GemmCase gemm)
    {
        ArgumentNullException.ThrowIfNull(gemm);
        var (a, b, c, lda, ldb) = Operands(gemm);
        return Harness.Throughput(settings, gemm.Flops / 1e9,
            () => Gemm.Multiply<float>(gemm.TransposeA, gemm.TransposeB, gemm.M, gemm.N, gemm.K, a, lda, b, ldb, c, gemm.N));
    }

    /// <summary>Random A and B for a case (seeded, so every run times the same numbers), an output C, and the leading dimensions.</summary>
    private static (float[] A, float[] B, float[] C, int Lda, int Ldb) Operands(GemmCase gemm)
    {
        var random = new Random(1234);
        float[] a = RandomMatrix(gemm.M * gemm.K, random), b = RandomMatrix(gemm.K * gemm.N, random);
        return (a, b, new float[gemm.M * gemm.N], gemm.TransposeA ? gemm.M : gemm.K, gemm.TransposeB ? gemm.K : gemm.N);
    }

    /// <summary>GFLOP/s of one case and of the reference's cblas_sgemm on the same arrays, timed alternately, and their ratios.</summary>
    public static (SampleSummary Ours, SampleSummary Theirs, SampleSummary Ratio) MeasurePaired(BenchSettings settings, GemmCase gemm,
        ReferenceBlas reference)
    {
        ArgumentNullException.ThrowIfNull(gemm);
        ArgumentNullException.ThrowIfNull(reference);
        var (a, b, c, lda, ldb) = Operands(gemm);
        var theirs = new float[c.Length];
        var result = Harness.PairedThroughput(settings, gemm.Flops / 1e9,
            () => Gemm.Multiply<float>(gemm.TransposeA, gemm.TransposeB, gemm.M, gemm.N, gemm.K, a, lda, b, ldb, c, gemm.N),
            () => reference.Multiply(gemm.TransposeA, gemm.TransposeB, gemm.M, gemm.N, gemm.K, a, lda, b, ldb, theirs, gemm.N),
            reference.PauseAfterCall(KernelOptions.MaxThreads));
        // Both sides computed the same product: a reference that disagrees is the wrong library or the wrong call.
        for (int i = 0; i < c.Length; i++)
        {
            if (Math.Abs(c[i] - theirs[i]) > 1e-3f * (1 + Math.Abs(c[i])))
                throw new InvalidOperationException($"The reference BLAS's {gemm.Name} differs from MyTorch's at element {i}: {theirs[i]} vs {c[i]}.");
        }
        return result;
    }

    private static float[] RandomMatrix(int count, Random random)
    {
        var values = new float[count];
        for (int i = 0; i < values.Length; i++) values[i] = (float)((random.NextDouble() * 2) - 1);
        return values;
    }
}
