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
    /// <summary>Measures every case at <see cref="BenchSettings.Threads"/> threads and, when that is more than one, at one thread.</summary>
    public static JsonArray Run(BenchSettings settings, Action<string> progress)
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
                    progress($"gemm {gemm.Name} on {threads} thread{(threads == 1 ? "" : "s")}");
                    var gflops = Measure(settings, gemm);
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
        var random = new Random(1234);
        float[] a = RandomMatrix(gemm.M * gemm.K, random), b = RandomMatrix(gemm.K * gemm.N, random), c = new float[gemm.M * gemm.N];
        int lda = gemm.TransposeA ? gemm.M : gemm.K;
        int ldb = gemm.TransposeB ? gemm.K : gemm.N;
        return Harness.Throughput(settings, gemm.Flops / 1e9,
            () => Gemm.Multiply<float>(gemm.TransposeA, gemm.TransposeB, gemm.M, gemm.N, gemm.K, a, lda, b, ldb, c, gemm.N));
    }

    private static float[] RandomMatrix(int count, Random random)
    {
        var values = new float[count];
        for (int i = 0; i < values.Length; i++) values[i] = (float)((random.NextDouble() * 2) - 1);
        return values;
    }
}
