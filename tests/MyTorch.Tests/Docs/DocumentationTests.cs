using System.Text.RegularExpressions;
using MyTorch.Compiled;
using MyTorch.Data;
using MyTorch.IO;
using MyTorch.Losses;
using MyTorch.NN;
using MyTorch.Optim;
using MyTorch.Visualization;
using Xunit;

namespace MyTorch.Tests.Docs;

/// <summary>
/// Keeps the user documentation true. Every C# block of README.md and docs/*.md must appear, line for line
/// (using lines aside), in a method of this file or a DocumentationTests.*.cs sibling, where it is compiled against the current API and run; the
/// outputs and error messages the pages quote are asserted; and every relative link of the pages resolves.
/// </summary>
public partial class DocumentationTests
{
    private static readonly string Root = FindRepositoryRoot();

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "MyTorch.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"MyTorch.sln not found above {AppContext.BaseDirectory}.");
    }

    private static IEnumerable<string> Pages() =>
        new[] { "README.md", "bench/README.md", "bench/results/README.md" }
            .Concat(Directory.GetFiles(Path.Combine(Root, "docs"), "*.md").Select(p => Path.GetRelativePath(Root, p)))
            .Select(p => p.Replace('\\', '/'));

    // ---- the pages against this file ---------------------------------------------------------------------------

    [GeneratedRegex(@"^```csharp\s*\n(.*?)^```", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex CSharpBlock();

    private static List<string> Normalize(string code) =>
        code.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith("using MyTorch", StringComparison.Ordinal)
            && !l.StartsWith("using System", StringComparison.Ordinal)).ToList();

    [Fact]
    public void EveryCSharpBlockOfThePagesIsCompiledHere()
    {
        // This file and its partial siblings: a page whose block needs other using lines (the seed API's) has its own file.
        var source = Normalize(string.Join("\n", Directory.GetFiles(Path.Combine(Root, "tests", "MyTorch.Tests", "Docs"), "DocumentationTests*.cs")
            .Order(StringComparer.Ordinal).Select(File.ReadAllText)));
        var missing = new List<string>();
        int blocks = 0;
        foreach (var page in Pages())
        {
            foreach (Match block in CSharpBlock().Matches(File.ReadAllText(Path.Combine(Root, page))))
            {
                blocks++;
                var lines = Normalize(block.Groups[1].Value);
                bool found = Enumerable.Range(0, Math.Max(0, source.Count - lines.Count + 1))
                    .Any(start => lines.Select((l, i) => source[start + i] == l).All(same => same));
                if (!found) missing.Add($"{page}: block starting \"{lines.FirstOrDefault()}\"");
            }
        }
        Assert.True(blocks >= 10, $"only {blocks} C# blocks found in the pages");
        Assert.True(missing.Count == 0, "C# blocks not in DocumentationTests.cs (copy them there so they compile and run):\n"
            + string.Join("\n", missing));
    }

    [GeneratedRegex(@"!?\[[^\]]*\]\(([^)\s]+)\)")]
    private static partial Regex MarkdownLink();

    [Fact]
    public void EveryRelativeLinkOfThePagesResolves()
    {
        var broken = new List<string>();
        foreach (var page in Pages())
        {
            string text = File.ReadAllText(Path.Combine(Root, page));
            foreach (Match link in MarkdownLink().Matches(text))
            {
                string target = link.Groups[1].Value;
                if (target.Contains("://", StringComparison.Ordinal) || target.StartsWith("mailto:", StringComparison.Ordinal)) continue;
                string file = target.Split('#')[0];
                string anchor = target.Contains('#', StringComparison.Ordinal) ? target[(target.IndexOf('#', StringComparison.Ordinal) + 1)..] : "";
                string resolved = file.Length == 0 ? Path.Combine(Root, page)
                    : Path.GetFullPath(Path.Combine(Root, Path.GetDirectoryName(page) ?? "", file));
                if (!File.Exists(resolved) && !Directory.Exists(resolved)) { broken.Add($"{page}: {target}"); continue; }
                if (anchor.Length > 0 && resolved.EndsWith(".md", StringComparison.Ordinal) && !Anchors(File.ReadAllText(resolved)).Contains(anchor))
                    broken.Add($"{page}: {target} (no such heading)");
            }
        }
        Assert.True(broken.Count == 0, "broken links:\n" + string.Join("\n", broken));
    }

    /// <summary>GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens.</summary>
    private static HashSet<string> Anchors(string markdown) =>
        markdown.Split('\n').Where(l => l.StartsWith('#')).Select(l => l.TrimStart('#').Trim().ToLowerInvariant())
            .Select(h => new string(h.Where(c => char.IsLetterOrDigit(c) || c == ' ' || c == '-' || c == '_').ToArray()).Replace(' ', '-'))
            .ToHashSet();

    [Fact]
    public void TheReadmeStaysShort()
    {
        long bytes = new FileInfo(Path.Combine(Root, "README.md")).Length;
        Assert.True(bytes <= 15 * 1024, $"README.md is {bytes} bytes; move detail to a page under docs/");
    }

    // ---- README: the tour --------------------------------------------------------------------------------------

    [Fact]
    public void ReadmeFirstGraph()
    {
        var x = Tensor.FromArray(new double[] { 1, 2, 3 }, requiresGrad: true);
        var w = Tensor.FromArray(new double[] { 0.5, -1, 2 }, requiresGrad: true);

        var y = (x * w).Sum().Sigmoid();   // each op records a node in the graph
        y.Backward();                      // chain rule, node by node, in reverse

        Console.WriteLine(y);              // tensor(0.989013, shape=(), dtype=float64, grad_fn=sigmoid)
        Console.WriteLine(x.Grad);         // dy/dx = y(1 - y) * w
        Console.WriteLine(w.Grad);         // dy/dw = y(1 - y) * x

        Assert.Equal("tensor(0.989013, shape=(), dtype=float64, grad_fn=sigmoid)", y.ToString());
        double s = y.Item() * (1 - y.Item());
        Assert.Equal(new[] { s * 0.5, -s, s * 2 }, x.Grad!.ToArray<double>(), new Close(1e-12));
        Assert.Equal(new[] { s * 1, s * 2, s * 3 }, w.Grad!.ToArray<double>(), new Close(1e-12));
    }

    [Fact]
    public void ReadmeTrainingLoop()
    {
        string previous = Directory.GetCurrentDirectory();
        Directory.SetCurrentDirectory(Root);
        try
        {
            var generator = new Generator(42);
            var (train, validation, test) = Mnist.LoadSplit("data/mnist-10k", 0.1, generator);   // 7,200 / 800 / 2,000 digits
            var normalizer = InputNormalizer.Standardize().Fit(train.Inputs);   // one mean and std over all pixels
            normalizer.TransformInPlace(train.Inputs);
            normalizer.TransformInPlace(test.Inputs);

            var model = new Sequential(
                new Linear(784, 128, generator: generator),
                new ReLU(),
                new Linear(128, 10, generator: generator));
            var loss = new CrossEntropyLoss();
            var optimizer = new SGD(model.Parameters(), learningRate: 0.05, momentum: 0.9);

            for (int epoch = 0; epoch < 2; epoch++)
            {
                model.Train();
                foreach (var (x, y) in new DataLoader(train, batchSize: 64, shuffle: true, generator: generator))
                {
                    optimizer.ZeroGrad();
                    var l = loss.Forward(model.Forward(x), y);   // x: (64, 784) float32, y: (64,) int64 labels
                    l.Backward();
                    optimizer.Step();
                }
            }

            model.Eval();
            using (Autograd.NoGrad())
            {
                var predicted = model.Forward(test.Inputs).ArgMax(1);
                double accuracy = predicted.Eq(test.Targets).Sum().Item() / test.Count;
                Console.WriteLine($"test accuracy {accuracy:P1}");   // about 95%
            }
            Assert.InRange(model.Forward(test.Inputs).ArgMax(1).Eq(test.Targets).Sum().Item() / test.Count, 0.9, 1.0);
            Assert.Equal(800, validation.Count);
        }
        finally
        {
            Directory.SetCurrentDirectory(previous);
        }
    }

    // ---- docs/tensors-and-autograd.md --------------------------------------------------------------------------

    [Fact]
    public void ShapeErrorsNameTheOpAndTheShapes()
    {
        var matmul = Assert.Throws<TensorShapeException>(() => Tensor.Zeros([2, 3]).MatMul(Tensor.Zeros([4, 5])));
        Assert.Equal("matmul: shapes (2, 3) and (4, 5) are not aligned: 3 (last dimension of the first) != 4 (second-to-last dimension of the second).", matmul.Message);
        var add = Assert.Throws<TensorShapeException>(() => Tensor.Zeros([2, 3]) + Tensor.Zeros([4]));
        Assert.Equal("add: shapes (2, 3) and (4,) cannot be broadcast together (aligned from the right, each pair of sizes must be equal or one of them 1).", add.Message);
    }

    [Fact]
    public void UndefinedGradient()
    {
        var x = Tensor.Scalar(0.3, DType.Float64, requiresGrad: true);
        var h = 2 * x + 1;
        var z = x.Square();
        var y = h.Sigmoid();
        var dydz = Autograd.Grad(y, z, retainGraph: true, allowUnused: true);   // null: y does not depend on z
        var dydh = Autograd.Grad(y, h);                                         // sigmoid(h) * (1 - sigmoid(h))

        Assert.Null(dydz);
        double s = 1 / (1 + Math.Exp(-1.6));
        Assert.Equal(s * (1 - s), dydh!.Item(), 12);
    }

    [Fact]
    public void ShapesAndReductions()
    {
        var generator = new Generator(7);
        var a = Tensor.Randn([3, 4, 5], generator);
        var summed = a.Sum(0, keepDim: true);        // (1, 4, 5); without keepDim: (4, 5)
        var batch = Tensor.Randn([8, 4, 5], generator).MatMul(Tensor.Randn([5, 2], generator));   // (8, 4, 2)
        var probabilities = Tensor.FromArray(new float[] { 1000, -1000, 0 }).Softmax(0);     // finite: [1, 0, 0]

        Assert.Equal([1, 4, 5], summed.Shape);
        Assert.Equal([8, 4, 2], batch.Shape);
        Assert.Equal(new float[] { 1, 0, 0 }, probabilities.ToArray<float>());
    }

    [Fact]
    public void CustomFunction()
    {
        var x = Tensor.FromArray(new double[] { 1, 2 }, requiresGrad: true);
        var y = new Cube().Apply(x);   // a new instance per call; it keeps what backward needs
        y.Sum().Backward();            // x.Grad = 3 x^2

        Assert.Equal(new double[] { 3, 12 }, x.Grad!.ToArray<double>());
    }

    sealed class Cube : AutogradFunction
    {
        Tensor? x;
        protected override Tensor Forward(Tensor[] inputs) { x = inputs[0]; return x * x * x; }
        protected override Tensor?[] Backward(Tensor gradOutput) => [gradOutput * 3 * x! * x!];
    }

    // ---- docs/layers-and-losses.md -----------------------------------------------------------------------------

    [Fact]
    public void OneTrainingStep()
    {
        var generator = new Generator(42);
        var net = new Sequential(
            new Linear(784, 128, generator: generator),   // W is (in, out), b is (1, out): z = x W + b
            new BatchNorm1d(128),                         // seed 004: eps 1e-8, alpha 0.9, biased running variance
            new ReLU(),
            new Dropout(0.2, generator),
            new Linear(128, 10, generator: generator));
        var loss = new CrossEntropyLoss();
        var optimizer = new SGD(net.Parameters(), learningRate: 0.05, momentum: 0.9);

        var x = Tensor.Randn([32, 784], generator);                                      // a mini-batch of 32 inputs
        var y = Tensor.FromArray(Enumerable.Range(0, 32).Select(i => (long)(i % 10)).ToArray());   // int64 class labels

        optimizer.ZeroGrad();
        var l = loss.Forward(net.Forward(x), y);
        l.Backward();
        optimizer.Step();

        foreach (var (name, parameter) in net.NamedParameters()) Console.WriteLine($"{name} {parameter.Shape.Length}");   // 0.weight, 0.bias, 1.weight, ...

        Assert.Equal(["0.weight", "0.bias", "1.weight", "1.bias", "4.weight", "4.bias"], net.NamedParameters().Select(p => p.Name));
        Assert.True(double.IsFinite(l.Item()));
    }

    [Fact]
    public void SaveAndLoadWeights()
    {
        using var folder = new IO.TempDirectory();
        string previous = Directory.GetCurrentDirectory();
        Directory.SetCurrentDirectory(folder.Path);
        try
        {
            var net = new Sequential(new Linear(4, 3, generator: new Generator(1)), new ReLU(), new Linear(3, 2, generator: new Generator(2)));

            Safetensors.Save("weights.safetensors", net.StateDict());   // atomic: a temporary file, then a rename
            net.LoadStateDict(Safetensors.Load("weights.safetensors"));  // strict: every key and shape must match

            Assert.True(File.Exists("weights.safetensors"));
        }
        finally
        {
            Directory.SetCurrentDirectory(previous);
        }
    }

    // ---- docs/layers-and-losses.md: data ------------------------------------------------------------------------

    [Fact]
    public void LoadingData()
    {
        string previous = Directory.GetCurrentDirectory();
        Directory.SetCurrentDirectory(Root);
        try
        {
            var (trainImages, trainLabels, testImages, testLabels) = Mnist.Load("data/mnist-10k");
            var normalizer = InputNormalizer.Scale(255);
            var all = new TensorDataset(normalizer.Transform(trainImages), trainLabels);
            var (train, validation) = DatasetSplit.TrainValidation(all, 0.1, new Generator(42));
            foreach (var (x, y) in new DataLoader(train, batchSize: 64, shuffle: true, generator: new Generator(1)))
            {
                // x: (64, 784) float32, y: (64,) int64
            }

            // Load and split in one pass: the same rows as DatasetSplit.TrainValidation on Load's training set,
            // converted to float32 as they are read, with no float32 copy of the whole training set.
            var (trainSet, validationSet, testSet) = Mnist.LoadSplit("data/mnist-10k", 0.1, new Generator(42));
            var standardize = InputNormalizer.Standardize().Fit(trainSet.Inputs);   // one mean and std over all pixels
            standardize.TransformInPlace(trainSet.Inputs);                           // the splits are yours: no second copy
            standardize.TransformInPlace(validationSet.Inputs);

            var table = Csv.Read("data/tabular/houses.csv");
            var features = table.AllExcept("price", "age");
            var targets = table.Columns("price", "age");
            var scaler = TargetScaler.Create("standard").Fit(targets);   // regression targets on one scale

            Assert.Equal(all.Count, train.Count + validation.Count);
            Assert.Equal(train.Count, trainSet.Count);
            Assert.Equal(train.Targets.ToArray<long>(), trainSet.Targets.ToArray<long>());
            Assert.Equal(2, targets.Shape[1]);
            Assert.Equal(features.Shape[0], scaler.Transform(targets).Shape[0]);
            Assert.Equal(testImages.Shape[0], testLabels.Shape[0]);
            Assert.Equal(testSet.Count, testLabels.Shape[0]);
        }
        finally
        {
            Directory.SetCurrentDirectory(previous);
        }
    }

    // ---- docs/seeing-backprop.md -------------------------------------------------------------------------------

    [Fact]
    public void DrawingTheGraph()
    {
        using var folder = new IO.TempDirectory();
        string previous = Directory.GetCurrentDirectory();
        Directory.SetCurrentDirectory(folder.Path);
        try
        {
            var x = Tensor.Scalar(0.3, DType.Float64, requiresGrad: true); x.Name = "x";
            var h = 2 * x + 1;     h.Name = "h";
            var z = x.Square();    z.Name = "z";
            var y = h.Sigmoid();   y.Name = "y";
            string dot = ComputationGraph.Of(y, z).ToDot(new DotOptions { ShowValues = true });
            var result = Graphviz.Render(dot, "seed001.svg");   // without Graphviz: writes seed001.dot and says so
            Console.WriteLine(result.Message);

            Assert.Contains("sigmoid", dot, StringComparison.Ordinal);
            Assert.True(File.Exists(result.Path));
        }
        finally
        {
            Directory.SetCurrentDirectory(previous);
        }
    }

    [Fact]
    public void TracingBackprop()
    {
        var x = Tensor.Scalar(0.3, DType.Float64, requiresGrad: true); x.Name = "x";
        var h = 2 * x + 1;     h.Name = "h";
        var y = h.Sigmoid();   y.Name = "y";

        var trace = BackpropTrace.Record(y);   // runs y.Backward() and watches every node
        Console.Write(trace.ToTable());        // value, local derivative, gradient and chain rule per node
        Console.WriteLine(trace.GradientOf(h)); // dy/dh = y(1 - y)

        Assert.Equal(0.83202 * (1 - 0.83202), trace.GradientOf(h)!.Item(), 4);
        Assert.Contains("chain rule", trace.ToTable().ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void CheckingGradients()
    {
        var x = Tensor.Uniform([3, 4], -1, 1, new Generator(1), DType.Float64, requiresGrad: true);
        var result = GradCheck.Check(inputs => inputs[0].Softmax(1), [x]);
        Console.WriteLine(result);   // gradcheck passed: worst element is input 0 at (...): analytic ..., numeric ...

        Assert.StartsWith("gradcheck passed", result.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void DetectingAnomalies()
    {
        var error = Assert.Throws<AnomalyException>(() =>
        {
            var x = Tensor.FromArray(new double[] { 0, 1 }, requiresGrad: true);
            using (Autograd.DetectAnomaly())
            {
                var y = x.Sqrt().Sum();   // d sqrt(x)/dx is infinite at 0
                y.Backward();             // throws AnomalyException naming 'sqrt' and its input shapes
            }
        });

        Assert.Contains("'sqrt'", error.Message, StringComparison.Ordinal);
    }

    // ---- docs/performance.md -----------------------------------------------------------------------------------

    [Fact]
    public void CompiledTraining()
    {
        var generator = new Generator(42);
        var model = new Sequential(new Linear(20, 16, generator: generator), new ReLU(), new Linear(16, 3, generator: generator));
        var optimizer = new SGD(model.Parameters(), learningRate: 0.05, momentum: 0.9);
        var train = new TensorDataset(Tensor.Randn([256, 20], generator), Tensor.FromArray(Enumerable.Range(0, 256).Select(i => (long)(i % 3)).ToArray()));

        var step = CompiledTrainingStep.Compile(model, new CrossEntropyLoss(), optimizer);   // or TryCompile(..., out reason)
        var loader = new DataLoader(train, 128, shuffle: true, generator: new Generator(42)) { ReuseBuffers = true };
        foreach (var (x, y) in loader)
        {
            double loss = step.Run(x, y);   // ZeroGrad + forward + loss + Backward + Step; step.Outputs holds the logits
        }

        Assert.Equal([128, 3], step.Outputs!.Shape);
    }

    [Fact]
    public void CompiledInferenceRuns()
    {
        var generator = new Generator(42);
        var model = new Sequential(new Linear(20, 16, generator: generator), new ReLU(), new Linear(16, 3, generator: generator));
        var batch = Tensor.Randn([64, 20], generator);
        var into = Tensor.Zeros([64, 3]);

        var inference = CompiledInference.Compile(model);    // or TryCompile(model, out reason)
        Tensor logits = inference.Run(batch);                // reused: read it before the next Run
        inference.Run(batch, into);                          // or write into your own (rows, outputs) tensor

        var frozen = CompiledInference.Compile(model).FreezeWeights();   // weights packed for the GEMM, once

        model.Eval();
        var expected = model.Forward(batch).ToArray<float>();
        Assert.Equal(expected, logits.ToArray<float>());
        Assert.Equal(expected, into.ToArray<float>());
        Assert.Equal(expected, frozen.Run(batch).ToArray<float>());
    }

    private sealed class Close(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(double obj) => 0;
    }
}
