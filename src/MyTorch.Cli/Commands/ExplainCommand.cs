using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using MyTorch.Cli.Reporting;
using MyTorch.Optim;
using MyTorch.Visualization;

namespace MyTorch.Cli.Commands;

/// <summary>
/// <c>mytorch explain</c>: the seeds' worked examples, every number of the forward and backward pass printed
/// and checked against autograd. The default is seed 002's network; <c>--example sigmoid-chain</c> is seed 003,
/// <c>--example computational-graph</c> seed 001's question 2.
/// </summary>
public static partial class ExplainCommand
{
    private static readonly Option<string> ExampleOption = Choice("--example",
        "mlp (seed 002: a small tanh network, one SGD step), sigmoid-chain (seed 003), computational-graph (seed 001, question 2), " +
        "conv (a 5x5 convolution and a max-pool, forward and backward)",
        "mlp", "mlp", "sigmoid-chain", "computational-graph", "conv");
    private static readonly Option<int> StrideOption = new("--stride") { Description = "conv: the convolution's stride", DefaultValueFactory = _ => 1 };
    private static readonly Option<int> PaddingOption = new("--padding") { Description = "conv: zero padding on each side", DefaultValueFactory = _ => 0 };
    private static readonly Option<int[]?> LayersOption = new("--layers")
    {
        Description = "mlp: layer sizes from input to output, comma-separated (default 4,4,3,3)",
        HelpName = "SIZES",
        CustomParser = r => ParseList<int>(r, "--layers", s => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v > 0 ? v : (int?)null, "positive layer sizes such as 4,4,3,3"),
    };
    private static readonly Option<string> ActivationOption = Choice("--activation", "mlp: hidden-layer activation", "tanh", "tanh", "sigmoid", "relu", "identity");
    private static readonly Option<double> InitOption = new("--init") { Description = "mlp: the value of every weight and bias", DefaultValueFactory = _ => 0.1 };
    private static readonly Option<double[]?> XOption = new("--x")
    {
        Description = "the input: mlp a vector (default 1,0,1,0), sigmoid-chain a number (default 1.5), computational-graph a number (default 0.3)",
        HelpName = "VALUES",
        CustomParser = r => ParseList(r, "--x", ParseNumber, "numbers separated by commas"),
    };
    private static readonly Option<double[]?> YOption = new("--y")
    {
        Description = "the target: mlp a vector (default 0,1,0), sigmoid-chain a number (default 1)",
        HelpName = "VALUES",
        CustomParser = r => ParseList(r, "--y", ParseNumber, "numbers separated by commas"),
    };
    private static readonly Option<double> W1Option = new("--w1") { Description = "sigmoid-chain: the first weight", DefaultValueFactory = _ => 0.4 };
    private static readonly Option<double> W2Option = new("--w2") { Description = "sigmoid-chain: the second weight", DefaultValueFactory = _ => -0.9 };
    private static readonly Option<double> LearningRateOption = new("--lr") { Description = "learning rate of the gradient-descent step", DefaultValueFactory = _ => 0.1 };
    private static readonly Option<string> LossOption = Choice("--loss", "mlp: sse (1/2 sum of squared errors, identity output) or ce (softmax and cross-entropy)", "sse", "sse", "ce");
    private static readonly Option<string?> GraphOption = new("--graph") { HelpName = "FILE", Description = "draw the computational graph to this file (.svg, .png, .pdf; .dot for the DOT text)" };
    private static readonly Option<bool> TraceOption = new("--trace") { Description = "also print the step-by-step trace: every node's value, local derivative and gradient" };
    private static readonly Option<int> DigitsOption = new("--digits") { Description = "significant digits printed", DefaultValueFactory = _ => 5 };

    private static Option<string> Choice(string name, string description, string defaultValue, params string[] choices)
    {
        var option = new Option<string>(name) { Description = description, DefaultValueFactory = _ => defaultValue };
        option.AcceptOnlyFromAmong(choices);
        return option;
    }

    private static double? ParseNumber(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v) ? v : null;

    private static T[] ParseList<T>(ArgumentResult result, string name, Func<string, T?> parse, string expected) where T : struct
    {
        var text = string.Join(",", result.Tokens.Select(t => t.Value));
        var values = new List<T>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (parse(part) is not T value)
            {
                result.AddError($"Invalid value '{text}' for option {name}: expected {expected}.");
                return [];
            }
            values.Add(value);
        }
        if (values.Count == 0) result.AddError($"Invalid value '{text}' for option {name}: expected {expected}.");
        return values.ToArray();
    }

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var command = new Command("explain", "Show every number of a forward and backward pass: the seeds' worked examples, generalized.");
        Option[] options = [ExampleOption, LayersOption, ActivationOption, InitOption, XOption, YOption, W1Option, W2Option, LearningRateOption,
            LossOption, StrideOption, PaddingOption, GraphOption, TraceOption, DigitsOption];
        foreach (var option in options) command.Options.Add(option);
        CommandLineErrors.AddRange(DigitsOption, 1, "1 to 17", maximum: 17);
        command.SetAction(result => CommandLineErrors.Run(() => Execute(result)));
        return command;
    }

    private static int Execute(ParseResult result)
    {
        var example = result.GetValue(ExampleOption)!;
        Option[] mlpOnly = [LayersOption, ActivationOption, InitOption, LossOption];
        Option[] chainOnly = [W1Option, W2Option];
        Option[] convOnly = [StrideOption, PaddingOption];
        Option[] notApplicable = example switch
        {
            "mlp" => [.. chainOnly, .. convOnly],
            "sigmoid-chain" => [.. mlpOnly, .. convOnly],
            "conv" => [.. mlpOnly, .. chainOnly, XOption, YOption, LearningRateOption],
            _ => [.. mlpOnly, .. chainOnly, .. convOnly, YOption, LearningRateOption],
        };
        foreach (var option in notApplicable)
            if (result.GetResult(option) is { Implicit: false })
                throw new ArgumentException($"Invalid option {option.Name} for --example {example}: it applies to other examples (see mytorch explain --help).");
        double lr = result.GetValue(LearningRateOption);
        if (!(lr > 0) || !double.IsFinite(lr))
            throw new ArgumentException($"Invalid value '{lr.ToString(CultureInfo.InvariantCulture)}' for option --lr: expected a positive number.");
        var settings = new Settings(ReportWriter.ForConsole(), result.GetValue(DigitsOption), result.GetValue(GraphOption), result.GetValue(TraceOption));
        return example switch
        {
            "sigmoid-chain" => SigmoidChain(settings, Scalar(result, XOption, 1.5), result.GetValue(W1Option), result.GetValue(W2Option), Scalar(result, YOption, 1), lr),
            "computational-graph" => ComputationalGraph(settings, Scalar(result, XOption, 0.3)),
            "conv" => Conv(settings, result.GetValue(StrideOption), result.GetValue(PaddingOption)),
            _ => Mlp(settings, new MlpSpec(result.GetValue(LayersOption) is { Length: > 0 } layers ? layers : [4, 4, 3, 3], result.GetValue(ActivationOption)!, result.GetValue(InitOption),
                Given(result, XOption) ?? [1, 0, 1, 0], Given(result, YOption) ?? [0, 1, 0], lr, result.GetValue(LossOption)!)),
        };
    }

    /// <summary>The list an option was given, or null when it was not (System.CommandLine gives an empty array then).</summary>
    private static double[]? Given(ParseResult result, Option<double[]?> option) => result.GetValue(option) is { Length: > 0 } values ? values : null;

    private static double Scalar(ParseResult result, Option<double[]?> option, double defaultValue)
    {
        var values = Given(result, option);
        if (values is null) return defaultValue;
        if (values.Length != 1)
            throw new ArgumentException($"Invalid value for option {option.Name}: this example takes one number, not {values.Length}.");
        return values[0];
    }

    private sealed record Settings(ReportWriter Output, int Digits, string? Graph, bool Trace)
    {
        public string F(double value) => ValueText.Format(value, Digits);
        public string V(Tensor value) => ValueText.Format(value, Digits, 12);
        public string M(Tensor value) => ValueText.FormatMatrix(value, Digits);
    }

    /// <summary>The network of <c>mytorch explain</c> (seed 002 by default).</summary>
    private sealed record MlpSpec(int[] Layers, string Activation, double Init, double[] X, double[] Y, double LearningRate, string Loss);

    private static Tensor Named(Tensor tensor, string name)
    {
        tensor.Name = name;
        return tensor;
    }

    private static string Join(IEnumerable<double> values) => string.Join(",", values.Select(v => v.ToString(CultureInfo.InvariantCulture)));

    // ---- seed 002 -----------------------------------------------------------------------------------------

    private static int Mlp(Settings s, MlpSpec spec)
    {
        var sizes = spec.Layers;
        int layers = sizes.Length - 1;
        if (layers < 1) throw new ArgumentException($"Invalid value '{string.Join(",", sizes)}' for option --layers: give at least an input and an output size.");
        if (spec.X.Length != sizes[0])
            throw new ArgumentException($"Invalid value '{Join(spec.X)}' for option --x: the input layer has {sizes[0]} units, so x needs {sizes[0]} values.");
        if (spec.Y.Length != sizes[^1])
            throw new ArgumentException($"Invalid value '{Join(spec.Y)}' for option --y: the output layer has {sizes[^1]} units, so y needs {sizes[^1]} values.");
        bool crossEntropy = spec.Loss == "ce";
        if (crossEntropy && (spec.Y.Any(v => v < 0) || Math.Abs(spec.Y.Sum() - 1) > 1e-9))
            throw new ArgumentException($"Invalid value '{Join(spec.Y)}' for option --y: with --loss ce, y must be a probability vector (non-negative, summing to 1), such as 0,1,0.");
        if (!double.IsFinite(spec.Init)) throw new ArgumentException("Invalid value for option --init: expected a finite number.");

        var o = s.Output;
        string sizesText = string.Join("-", sizes);
        bool isSeed = sizesText == "4-4-3-3" && spec.Activation == "tanh" && spec.Init == 0.1 && Join(spec.X) == "1,0,1,0" && Join(spec.Y) == "0,1,0";
        o.Line($"{(isSeed ? "Seed 002: " : "")}a {sizesText} network, {(layers > 1 ? spec.Activation + " hidden layers" : "no hidden layer")}, " +
            (crossEntropy ? "softmax output, cross-entropy loss L = -sum y log y_hat" : "identity output, squared-error loss L = 1/2 sum (y_hat - y)^2"));
        o.Line($"every weight and bias {s.F(spec.Init)}, x = [{string.Join(", ", spec.X.Select(s.F))}], y = [{string.Join(", ", spec.Y.Select(s.F))}], " +
            $"one SGD step with learning rate {s.F(spec.LearningRate)}");
        o.Line("column vectors as in the seed: z(l) = W(l) h(l-1) + b(l), h(l) = g(z(l)), h(0) = x; W(l) has shape (units of l, units of l-1)");

        // The network, built from the seed's tensors directly so every op of the formula is one node of the graph.
        var x = Named(Tensor.FromArray(spec.X, [sizes[0], 1]), "x");
        var y = Named(Tensor.FromArray(spec.Y, [sizes[^1], 1]), "y");
        var w = new Tensor[layers + 1];
        var b = new Tensor[layers + 1];
        var z = new Tensor[layers + 1];
        var h = new Tensor[layers + 1];
        h[0] = x;
        for (int l = 1; l <= layers; l++)
        {
            w[l] = Named(Tensor.Full([sizes[l], sizes[l - 1]], spec.Init, DType.Float64, requiresGrad: true), $"W{l}");
            b[l] = Named(Tensor.Full([sizes[l], 1], spec.Init, DType.Float64, requiresGrad: true), $"b{l}");
            z[l] = Named(w[l].MatMul(h[l - 1]) + b[l], $"z{l}");
            h[l] = l < layers ? Named(Activate(z[l], spec.Activation), $"h{l}") : z[l];
        }
        Tensor yHat, loss;
        if (crossEntropy)
        {
            using (Autograd.NoGrad()) yHat = z[layers].Softmax(0);
            loss = Named(-(y * z[layers].LogSoftmax(0)).Sum(), "L");
        }
        else
        {
            yHat = z[layers];
            loss = Named(0.5 * (z[layers] - y).Pow(2).Sum(), "L");
        }
        double lossBefore = loss.Item();

        var forward = new TextTable("layer", "z = W h + b", "h = g(z)") { Title = "forward pass" };
        for (int l = 1; l <= layers; l++)
        {
            string activation = l < layers ? $"{spec.Activation}: {s.V(h[l])}" : crossEntropy ? $"softmax: y_hat = {s.V(yHat)}" : $"identity: y_hat = z{l}";
            forward.AddRow(l.ToString(CultureInfo.InvariantCulture), $"z{l} = {s.V(z[l])}", activation);
        }
        o.Table(forward);
        o.Line($"loss L = {(crossEntropy ? "-sum y log softmax(z" + layers + ")" : "1/2 sum (y_hat - y)^2")} = {s.F(lossBefore)}");

        var trace = BackpropTrace.Record(loss);

        // The seed's rules, computed by hand, then compared with what autograd computed.
        var dz = new Tensor[layers + 1];
        var dh = new Tensor[layers + 1];
        var dw = new Tensor[layers + 1];
        var db = new Tensor[layers + 1];
        double largest = 0;
        using (Autograd.NoGrad())
        {
            dz[layers] = yHat.Detach() - y;
            for (int l = layers; l >= 1; l--)
            {
                if (l < layers) dz[l] = dh[l] * LocalDerivative(h[l].Detach(), z[l].Detach(), spec.Activation);
                dw[l] = dz[l].MatMul(h[l - 1].Detach().T);
                db[l] = dz[l];
                if (l > 1) dh[l - 1] = w[l].Detach().T.MatMul(dz[l]);
                largest = Math.Max(largest, MaxDifference(dz[l], trace.GradientOf(z[l])!));
                largest = Math.Max(largest, MaxDifference(dw[l], w[l].Grad!));
                largest = Math.Max(largest, MaxDifference(db[l], b[l].Grad!));
            }
        }
        string derivative = spec.Activation switch
        {
            "tanh" => "(1 - h^2)",
            "sigmoid" => "h (1 - h)",
            "relu" => "[z > 0]",
            _ => "1",
        };
        var backward = new TextTable("layer", "dL/dz", "dL/dW = dL/dz h(l-1)^T", "dL/db = dL/dz")
        {
            Title = "backward pass, by the seed's rules: dL/dh(l-1) = W(l)^T dL/dz(l), dL/dz(l) = dL/dh(l) * g'(z(l))",
        };
        for (int l = layers; l >= 1; l--)
        {
            string rule = l == layers
                ? (crossEntropy ? $"softmax(z{l}) - y" : "y_hat - y") + $" =\n{s.V(dz[l])}"
                : $"W{l + 1}^T dL/dz{l + 1} * {derivative.Replace("h", $"h{l}", StringComparison.Ordinal).Replace("z", $"z{l}", StringComparison.Ordinal)} =\n{s.V(dh[l])} *\n{s.V(LocalDerivative(h[l].Detach(), z[l].Detach(), spec.Activation))} =\n{s.V(dz[l])}";
            backward.AddRow(l.ToString(CultureInfo.InvariantCulture), rule, s.M(dw[l]), s.V(db[l]));
        }
        o.Table(backward);
        o.Emphasis($"autograd agrees with the seed's rules: the largest difference over every dL/dz, dL/dW and dL/db is {largest.ToString("G3", CultureInfo.InvariantCulture)}",
            largest < 1e-12);

        if (s.Trace)
        {
            o.Heading("step-by-step trace (graph order; each gradient is the sum of the chain-rule terms on its right)");
            o.Table(trace.ToTable(s.Digits, 16));
        }
        if (s.Graph is not null)
            Draw(s, trace.ToDot(new DotOptions
            {
                ShowValues = true,
                ShowGradients = true,
                Digits = 4,
                Direction = "TB",
                Title = $"{sizesText} network, {spec.Activation}, {(crossEntropy ? "cross-entropy" : "squared error")}",
            }));

        var parameters = Enumerable.Range(1, layers).SelectMany(l => new[] { w[l], b[l] }).ToArray();
        new SGD(parameters, spec.LearningRate).Step();
        var update = new TextTable("layer", "W", "b") { Title = $"after one SGD step: W(l) <- W(l) - {s.F(spec.LearningRate)} dL/dW(l), b(l) <- b(l) - {s.F(spec.LearningRate)} dL/db(l)" };
        for (int l = 1; l <= layers; l++) update.AddRow(l.ToString(CultureInfo.InvariantCulture), s.M(w[l]), s.V(b[l]));
        o.Table(update);
        double lossAfter;
        using (Autograd.NoGrad())
        {
            var hNext = x;
            for (int l = 1; l <= layers; l++)
            {
                var zNext = w[l].MatMul(hNext) + b[l];
                hNext = l < layers ? Activate(zNext, spec.Activation) : zNext;
            }
            lossAfter = crossEntropy ? -(y * hNext.LogSoftmax(0)).Sum().Item() : 0.5 * (hNext - y).Pow(2).Sum().Item();
        }
        o.Emphasis($"loss after the step: {s.F(lossAfter)} (was {s.F(lossBefore)})", lossAfter <= lossBefore);
        return CommandLineErrors.Ok;
    }

    private static Tensor Activate(Tensor z, string activation) => activation switch
    {
        "tanh" => z.Tanh(),
        "sigmoid" => z.Sigmoid(),
        "relu" => z.Relu(),
        _ => z.Clone(),
    };

    /// <summary>g'(z) written with h = g(z), as the seed does: 1 - h^2 for tanh.</summary>
    private static Tensor LocalDerivative(Tensor h, Tensor z, string activation) => activation switch
    {
        "tanh" => 1 - h * h,
        "sigmoid" => h * (1 - h),
        "relu" => z.Gt(0),
        _ => Tensor.OnesLike(z),
    };

    private static double MaxDifference(Tensor a, Tensor b)
    {
        var x = a.ToArray<double>();
        var y = b.ToArray<double>();
        double largest = 0;
        for (int i = 0; i < x.Length; i++) largest = Math.Max(largest, Math.Abs(x[i] - y[i]));
        return largest;
    }

    // ---- seed 003 -----------------------------------------------------------------------------------------

    private static int SigmoidChain(Settings s, double xValue, double w1Value, double w2Value, double target, double lr)
    {
        var o = s.Output;
        o.Line("Seed 003: a sigmoid chain: z1 = x w1, a1 = g1(z1), z2 = a1 w2, a2 = g2(z2), Loss = 1/2 (a2 - y)^2, g1 = g2 = sigmoid");
        o.Line($"x = {s.F(xValue)}, w1 = {s.F(w1Value)}, w2 = {s.F(w2Value)}, y = {s.F(target)}, learning rate {s.F(lr)}");

        var x = Named(Tensor.Scalar(xValue, DType.Float64), "x");
        var y = Named(Tensor.Scalar(target, DType.Float64), "y");
        var w1 = Named(Tensor.Scalar(w1Value, DType.Float64, requiresGrad: true), "w1");
        var w2 = Named(Tensor.Scalar(w2Value, DType.Float64, requiresGrad: true), "w2");
        var z1 = Named(x * w1, "z1");
        var a1 = Named(z1.Sigmoid(), "a1");
        var z2 = Named(a1 * w2, "z2");
        var a2 = Named(z2.Sigmoid(), "a2");
        var loss = Named(0.5 * (a2 - y).Pow(2), "Loss");
        double A1 = a1.Item(), A2 = a2.Item(), W2 = w2Value, X = xValue;

        var forward = new TextTable("node", "computed as", "value") { Title = "forward pass" };
        forward.AddRow("z1", "x * w1", s.F(z1.Item()));
        forward.AddRow("a1", "g1(z1) = 1 / (1 + e^-z1)", s.F(A1));
        forward.AddRow("z2", "a1 * w2", s.F(z2.Item()));
        forward.AddRow("a2", "g2(z2) = 1 / (1 + e^-z2)", s.F(A2));
        forward.AddRow("Loss", "1/2 (a2 - y)^2", s.F(loss.Item()));
        o.Table(forward);

        var trace = BackpropTrace.Record(loss);
        double dLossDa2 = A2 - target, da2Dz2 = A2 * (1 - A2), dz2Dw2 = A1, dz2Da1 = W2, da1Dz1 = A1 * (1 - A1), dz1Dw1 = X;
        var partials = new TextTable("derivative", "formula", "value") { Title = "the partial derivative at each node" };
        partials.AddRow("dLoss/da2", "a2 - y", s.F(dLossDa2));
        partials.AddRow("da2/dz2", "g2'(z2) = a2 (1 - a2)", s.F(da2Dz2));
        partials.AddRow("dz2/dw2", "a1", s.F(dz2Dw2));
        partials.AddRow("dz2/da1", "w2", s.F(dz2Da1));
        partials.AddRow("da1/dz1", "g1'(z1) = a1 (1 - a1)", s.F(da1Dz1));
        partials.AddRow("dz1/dw1", "x", s.F(dz1Dw1));
        o.Table(partials);

        double dw2 = dLossDa2 * da2Dz2 * dz2Dw2;
        double dw1 = dLossDa2 * da2Dz2 * dz2Da1 * da1Dz1 * dz1Dw1;
        double autogradW2 = w2.Grad!.Item(), autogradW1 = w1.Grad!.Item();
        var chain = new TextTable("gradient", "chain rule", "in forward values", "product", "autograd") { Title = "the chain rule" };
        chain.AddRow("dLoss/dw2", "dLoss/da2 da2/dz2 dz2/dw2", "(a2 - y) a2 (1 - a2) a1",
            $"{s.F(dLossDa2)} * {s.F(da2Dz2)} * {s.F(dz2Dw2)} = {s.F(dw2)}", s.F(autogradW2));
        chain.AddRow("dLoss/dw1", "dLoss/da2 da2/dz2 dz2/da1 da1/dz1 dz1/dw1", "(a2 - y) a2 (1 - a2) w2 a1 (1 - a1) x",
            $"{s.F(dLossDa2)} * {s.F(da2Dz2)} * {s.F(dz2Da1)} * {s.F(da1Dz1)} * {s.F(dz1Dw1)} = {s.F(dw1)}", s.F(autogradW1));
        o.Table(chain);
        double largest = Math.Max(Math.Abs(dw1 - autogradW1), Math.Abs(dw2 - autogradW2));
        o.Emphasis($"autograd agrees with the hand-derived products: largest difference {largest.ToString("G3", CultureInfo.InvariantCulture)}", largest < 1e-12);

        if (s.Trace)
        {
            o.Heading("step-by-step trace (graph order; each gradient is the sum of the chain-rule terms on its right)");
            o.Table(trace.ToTable(s.Digits));
        }
        if (s.Graph is not null)
            Draw(s, trace.ToDot(new DotOptions { ShowValues = true, ShowGradients = true, Digits = 4, Title = "seed 003: a sigmoid chain" }));

        o.Heading($"gradient descent with step size alpha = {s.F(lr)}");
        o.Line($"w1 <- w1 - alpha dLoss/dw1 = {s.F(w1Value)} - {s.F(lr)} * {s.F(dw1)} = {s.F(w1Value - lr * dw1)}");
        o.Line($"w2 <- w2 - alpha dLoss/dw2 = {s.F(w2Value)} - {s.F(lr)} * {s.F(dw2)} = {s.F(w2Value - lr * dw2)}");
        return CommandLineErrors.Ok;
    }

    // ---- seed 001, question 2 -------------------------------------------------------------------------------

    private static int ComputationalGraph(Settings s, double xValue)
    {
        var o = s.Output;
        o.Line("Seed 001, question 2: h = 2x + 1, z = x^2, y = 1 / (1 + e^-h)");
        var x = Named(Tensor.Scalar(xValue, DType.Float64, requiresGrad: true), "x");
        var h = Named(2 * x + 1, "h");
        var z = Named(x.Square(), "z");
        var y = Named(h.Sigmoid(), "y");

        var forward = new TextTable("node", "computed as", "value") { Title = "forward pass" };
        forward.AddRow("x", "input", s.F(xValue));
        forward.AddRow("h", "2x + 1", s.F(h.Item()));
        forward.AddRow("z", "x^2", s.F(z.Item()));
        forward.AddRow("y", "sigmoid(h)", s.F(y.Item()));
        o.Table(forward);

        var yGraph = ComputationGraph.Of(y);
        string dependsOn = string.Join(", ", yGraph.Tensors.Where(t => t.Tensor.Name is not null && !t.IsRoot).Select(t => t.Label));
        var grads = Autograd.Grad([y], [z, h, x], retainGraph: true, allowUnused: true);
        double Y = y.Item();
        var table = new TextTable("derivative", "from the graph", "value") { Title = "derivatives of y" };
        table.AddRow("dy/dh", "y (1 - y)", s.F(grads[1]!.Item()));
        table.AddRow("dy/dx", "dy/dh dh/dx = y (1 - y) * 2", s.F(grads[2]!.Item()));
        table.AddRow("dy/dz", "no path from z to y", grads[0] is null ? "not defined (None, or 0 if you must)" : s.F(grads[0]!.Item()));
        o.Table(table);
        o.Line($"y is computed from {dependsOn} only; z is not part of y's graph, so dy/dz does not exist.");
        o.Line("Autograd.Grad(y, z, allowUnused: true) gives null; materializeGrads: true gives 0; without either it is an error.");
        o.Line($"(check: y (1 - y) = {s.F(Y * (1 - Y))})");

        if (!s.Trace && s.Graph is null) return CommandLineErrors.Ok;
        var trace = BackpropTrace.Record(y, retainGraph: true);
        if (s.Trace)
        {
            o.Heading("step-by-step trace of y (graph order)");
            o.Table(trace.ToTable(s.Digits));
        }
        if (s.Graph is not null)
        {
            // Drawn with z, which is not in y's graph and so gets no gradient from y's backward pass.
            Draw(s, ComputationGraph.Of(y, z).ToDot(new DotOptions
            {
                ShowValues = true,
                ShowGradients = true,
                Digits = 4,
                Gradients = trace.GradientOf,
                Title = "h = 2x + 1, z = x^2, y = sigmoid(h): no path from z to y (grad = dy/d(node))",
            }));
        }
        return CommandLineErrors.Ok;
    }

    private static void Draw(Settings s, string dot)
    {
        var drawn = Graphviz.Render(dot, s.Graph!);
        s.Output.Heading(drawn.Message);
    }
}
