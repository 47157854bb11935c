using System.Diagnostics;
using System.Reflection;
using System.Runtime.Loader;

// Paired A/B: two builds of MyTorch.Cli (and its MyTorch.dll) in two load contexts, timed alternately in one process,
// the order swapping every round, so that a machine whose speed drifts slows both alike.
// Usage (from the repository root, so the shipped digits are found):
//   dotnet run --project bench/ab -c Release -- BASE_BIN NEW_BIN gemm|train|infer THREADS [ROUNDS] [HALF_MS]
// where each *_BIN is a folder holding a build's MyTorch.Cli.dll (src/MyTorch.Cli/bin/Release/net10.0 of a checkout).
// Run it twice with the builds swapped: which build loads first can move the figures by a few percent.
var dirs = new[] { args[0], args[1] };
string what = args[2];
int threads = int.Parse(args[3]);
int rounds = args.Length > 4 ? int.Parse(args[4]) : 15;
int halfMs = args.Length > 5 ? int.Parse(args[5]) : 40;
var sides = dirs.Select(d => new Side(d)).ToArray();
foreach (var s in sides) s.SetThreads(threads);

if (what == "gemm")
{
    var shapes = new (string op, int m, int k, int n)[]
    {
        ("AB",128,784,256), ("AB",128,256,128), ("AtB",784,128,256), ("AtB",256,128,128), ("ABt",128,256,784), ("ABt",128,128,256),
        ("AB",256,256,256), ("AB",512,512,512), ("AtB",512,512,512), ("ABt",512,512,512), ("AB",1024,1024,1024),
        ("AB",1,784,256), ("AB",1,256,128), ("AB",1,128,10),
    };
    foreach (var (op, m, k, n) in shapes)
    {
        var actions = sides.Select(s => s.Gemm(op, m, k, n)).ToArray();
        double flops = 2.0 * m * k * n;
        Pair($"{op} {m}x{k}x{n}", actions, flops, "GFLOP/s", 1e-9);
    }
}
else if (what == "infer")
{
    foreach (int batch in new[] { 1, 256 })
    {
        var actions = sides.Select(s => s.Inference(batch)).ToArray();
        Pair($"frozen inference b{batch}", actions, batch, "samples/s", 1);
    }
}
else if (what == "train")
{
    var actions = sides.Select(s => s.TrainStep()).ToArray();
    Pair("train step (batch 128)", actions, 128, "samples/s", 1);
}

void Pair(string name, Action[] actions, double workPerCall, string unit, double scale)
{
    // Warm up each side (tiered JIT), then find a call count of about 40 ms.
    foreach (var a in actions) { var w = Stopwatch.StartNew(); while (w.ElapsedMilliseconds < 600) a(); }
    var t = Stopwatch.StartNew(); int calls = 0;
    while (t.ElapsedMilliseconds < halfMs) { actions[0](); calls++; }
    var times = new List<double>[] { new(), new() };
    var ratios = new List<double>();
    for (int r = 0; r < rounds; r++)
    {
        var tr = new double[2];
        for (int h = 0; h < 2; h++)
        {
            int side = (r % 2 == 0) ? h : 1 - h;
            Thread.Sleep(2);
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < calls; i++) actions[side]();
            tr[side] = Stopwatch.GetElapsedTime(start).TotalSeconds / calls;
        }
        times[0].Add(tr[0]); times[1].Add(tr[1]);
        ratios.Add(tr[0] / tr[1]); // > 1: new faster
    }
    double Best(List<double> x) => workPerCall / x.Min() * scale;
    double Med(List<double> x) { var s = x.OrderBy(v => v).ToList(); return workPerCall / s[s.Count / 2] * scale; }
    var rs = ratios.OrderBy(v => v).ToList();
    Console.WriteLine($"{name,-22} threads {threads}: base best {Best(times[0]),8:F1} median {Med(times[0]),8:F1} | new best {Best(times[1]),8:F1} median {Med(times[1]),8:F1} {unit} | paired new/base median {rs[rs.Count / 2]:F3} (q1 {rs[rs.Count / 4]:F3}, q3 {rs[3 * rs.Count / 4]:F3})");
}

sealed class Side
{
    private readonly AssemblyLoadContext alc;
    private readonly Assembly lib, cli;
    public Side(string dir)
    {
        alc = new AssemblyLoadContext(dir, isCollectible: false);
        alc.Resolving += (ctx, name) => { var p = Path.Combine(dir, name.Name + ".dll"); return File.Exists(p) ? ctx.LoadFromAssemblyPath(p) : null; };
        lib = alc.LoadFromAssemblyPath(Path.Combine(dir, "MyTorch.dll"));
        cli = alc.LoadFromAssemblyPath(Path.Combine(dir, "MyTorch.Cli.dll"));
    }
    public void SetThreads(int n) => lib.GetType("MyTorch.Kernels.KernelOptions")!.GetProperty("MaxThreads")!.SetValue(null, n);
    public Action Gemm(string op, int m, int k, int n)
    {
        bool ta = op == "AtB", tb = op == "ABt";
        var rnd = new Random(1);
        float[] a = Enumerable.Range(0, m * k).Select(_ => (float)rnd.NextDouble()).ToArray();
        float[] b = Enumerable.Range(0, k * n).Select(_ => (float)rnd.NextDouble()).ToArray();
        float[] c = new float[m * n];
        var mi = lib.GetType("MyTorch.Kernels.Gemm")!.GetMethods().First(x => x.Name == "Multiply" && x.IsGenericMethod).MakeGenericMethod(typeof(float));
        // Build a typed delegate to avoid reflection overhead per call.
        var del = (MultiplyF)Delegate.CreateDelegate(typeof(MultiplyF), mi);
        int lda = ta ? m : k, ldb = tb ? k : n;
        return () => del(ta, tb, m, n, k, a, lda, b, ldb, c, n, false);
    }
    public Action Inference(int batch)
    {
        var dataType = cli.GetType("MyTorch.Cli.Benchmarks.MlpData")!;
        var data = dataType.GetMethod("Load")!.Invoke(null, new object[] { "auto" })!;
        var recipeType = cli.GetType("MyTorch.Cli.Benchmarks.MlpRecipe")!;
        var recipe = Activator.CreateInstance(recipeType, data, 1UL, false)!;
        var model = recipeType.GetProperty("Model")!.GetValue(recipe)!;
        var ci = lib.GetType("MyTorch.Compiled.CompiledInference")!;
        var compiled = ci.GetMethod("Compile")!.Invoke(null, new[] { model })!;
        compiled = ci.GetMethod("FreezeWeights")!.Invoke(compiled, null)!;
        var test = dataType.GetProperty("Test")!.GetValue(data)!;
        var inputs = test.GetType().GetProperty("Inputs")!.GetValue(test)!;
        var tensorType = inputs.GetType();
        var narrowed = tensorType.GetMethod("Narrow")!.Invoke(inputs, new object[] { 0, 0, batch })!;
        var batchTensor = tensorType.GetMethod("Clone")!.Invoke(narrowed, null)!;
        var run = ci.GetMethods().First(m => m.Name == "Run" && m.GetParameters().Length == 1);
        var args = new[] { batchTensor };
        return () => run.Invoke(compiled, args);
    }

    public Action TrainStep()
    {
        var dataType = cli.GetType("MyTorch.Cli.Benchmarks.MlpData")!;
        var data = dataType.GetMethod("Load")!.Invoke(null, new object[] { "auto" });
        var recipeType = cli.GetType("MyTorch.Cli.Benchmarks.MlpRecipe")!;
        var recipe = Activator.CreateInstance(recipeType, data, 1UL, false);
        var step = (Func<int>)Delegate.CreateDelegate(typeof(Func<int>), recipe, recipeType.GetMethod("Step", Type.EmptyTypes)!);
        recipe.GetType().GetProperty("Model")!.GetValue(recipe)!.GetType().GetMethod("Train", Type.EmptyTypes)?.Invoke(recipe.GetType().GetProperty("Model")!.GetValue(recipe), null);
        return () => step();
    }
}
delegate void MultiplyF(bool ta, bool tb, int m, int n, int k, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, bool acc);
