using System.Globalization;
using MyTorch.NN;
using MyTorch.Ops;

namespace MyTorch.Cli.Training;

/// <summary>
/// The network <c>mytorch train --model</c> names: a preset (<c>mlp</c>, <c>lenet5</c>, <c>cnn</c>) or a comma-separated list
/// of layers such as <c>conv:32:3:p=1,relu,maxpool:2,flatten,linear</c>. Parsed and checked before any work: a bad token
/// is a one-line error naming it and what is allowed.
/// </summary>
/// <remarks>
/// Layers (every size a positive whole number):
/// <list type="bullet">
/// <item><c>input:C:H:W</c> (first only): the flat features as C×H×W images; by default, one channel of √n×√n when the
/// first layer is a convolution or a pool.</item>
/// <item><c>conv:OUT:K</c> with options <c>s=S</c> (stride), <c>p=P</c> or <c>p=same</c> (padding), <c>d=D</c> (dilation),
/// <c>g=G</c> (groups), <c>nobias</c>: a Conv2d with PyTorch's defaults (stride 1, padding 0).</item>
/// <item><c>maxpool:K</c>, <c>avgpool:K</c> with <c>s=S</c>, <c>p=P</c>: MaxPool2d / AvgPool2d (stride = K by default).</item>
/// <item><c>gap</c>: AdaptiveAvgPool2d to 1×1 (global average pooling).</item>
/// <item><c>bn</c>: BatchNorm2d after image layers, BatchNorm1d after <c>flatten</c> or <c>linear</c>.</item>
/// <item><c>dropout:P</c>: Dropout with probability P in [0, 1).</item>
/// <item><c>flatten</c>: images to features; added before the first <c>linear</c> after image layers when missing.</item>
/// <item><c>linear:OUT</c>, or <c>linear</c> as the last layer: the number of classes (or targets).</item>
/// <item>an activation: every name <c>--activation</c> takes (relu, tanh, ...).</item>
/// </list>
/// The last layer must be a <c>linear</c> (the output layer).
/// </remarks>
public sealed class ModelSpec
{
    /// <summary>LeNet-5 with ReLU and max pooling: conv 6@5×5 pad 2, pool, conv 16@5×5, pool, 120, 84, classes.</summary>
    public const string LeNet5 = "conv:6:5:p=2,relu,maxpool:2,conv:16:5,relu,maxpool:2,flatten,linear:120,relu,linear:84,relu,linear";

    /// <summary>A small VGG-style network: two conv-conv-pool blocks of 32 and 64 channels with BatchNorm, then a classifier.</summary>
    public const string Cnn = "conv:32:3:p=1,bn,relu,conv:32:3:p=1,bn,relu,maxpool:2," +
        "conv:64:3:p=1,bn,relu,conv:64:3:p=1,bn,relu,maxpool:2,flatten,dropout:0.25,linear:128,relu,dropout:0.25,linear";

    private static readonly string[] LayerKinds = ["input", "conv", "maxpool", "avgpool", "gap", "bn", "dropout", "flatten", "linear"];

    private readonly List<Layer> layers;

    private ModelSpec(string text, List<Layer> layers)
    {
        Text = text;
        this.layers = layers;
    }

    /// <summary>The spec as written (a preset's layer list for a preset).</summary>
    public string Text { get; }

    /// <summary>Whether the network has image layers (and so takes its features as images).</summary>
    public bool HasImageLayers => layers.Exists(l => l.IsImage);

    /// <summary>The layer list of a preset name, or the text itself.</summary>
    public static string Expand(string spec) => spec switch
    {
        "lenet5" => LeNet5,
        "cnn" => Cnn,
        _ => spec,
    };

    /// <summary>Parses a layer list or a preset other than <c>mlp</c> (which <see cref="ModelFactory"/> builds from its own options).</summary>
    /// <exception cref="ArgumentException">A token is not a layer, or a number is out of range; the message names it.</exception>
    public static ModelSpec Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        string text = Expand(spec);
        var tokens = text.Split(',');
        var layers = new List<Layer>(tokens.Length);
        for (int i = 0; i < tokens.Length; i++)
            layers.Add(ParseLayer(tokens[i].Trim(), i, spec));
        if (layers[^1].Kind != "linear")
            throw Invalid(spec, tokens[^1], "the last layer must be linear (the output layer)");
        for (int i = 0; i < layers.Count - 1; i++)
            if (layers[i].Kind == "linear" && layers[i].Out is null)
                throw Invalid(spec, tokens[i], "linear needs its size (linear:OUT) except as the last layer");
        for (int i = 1; i < layers.Count; i++)
            if (layers[i].Kind == "input")
                throw Invalid(spec, tokens[i], "input:C:H:W can only be the first layer");
        return new ModelSpec(text, layers);
    }

    /// <summary>
    /// The network for <paramref name="inputs"/> flat features and <paramref name="outputs"/> outputs. Image layers get the
    /// features as images through a leading Unflatten. Every layer's input shape is checked before the network is returned.
    /// </summary>
    /// <exception cref="ArgumentException">The shapes do not fit (the message lists every layer's shape up to the one that fails).</exception>
    public Sequential Build(int inputs, int outputs, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        var net = new Sequential();
        int[] shape = [inputs];
        var trail = new List<string> { $"input {Format(shape)}" };
        int start = 0;
        if (HasImageLayers)
        {
            int[] image = layers[0].Kind == "input" ? layers[0].Sizes : SquareImage(inputs);
            long values = (long)image[0] * image[1] * image[2];
            if (values != inputs)
                throw ShapeError(trail, $"input:{string.Join(':', image)} holds {values} values, the data has {inputs} features");
            net.Add(new Unflatten(1, image));
            shape = image;
            trail.Add($"images {Format(shape)}");
            start = layers[0].Kind == "input" ? 1 : 0;
        }
        else if (layers[0].Kind == "input")
        {
            start = 1;
        }
        double parameters = 0;
        for (int i = start; i < layers.Count; i++)
        {
            var layer = layers[i];
            if (layer.Kind == "linear" && shape.Length == 3)
            {
                net.Add(new Flatten());
                shape = [shape[0] * shape[1] * shape[2]];
                trail.Add($"flatten {Format(shape)}");
            }
            parameters += CheckSize(layer, shape, i == layers.Count - 1 ? outputs : null, parameters, trail);
            var module = Create(layer, shape, i == layers.Count - 1 ? outputs : null, generator, trail);
            net.Add(module);
            using (Autograd.NoGrad())
            {
                try
                {
                    shape = module.Eval().Forward(Tensor.Zeros([1, .. shape])).Shape[1..].ToArray();
                }
                catch (TensorShapeException error)
                {
                    throw ShapeError(trail, $"{layer.Token} does not take {Format(shape)}: {error.Message.TrimEnd('.')}");
                }
            }
            module.Train();
            trail.Add($"{layer.Token} {Format(shape)}");
        }
        return net;
    }

    /// <summary>The most parameters a spec may describe (1 GB of float32), checked before anything is allocated.</summary>
    public const double MaxParameters = 1 << 28;

    /// <summary>The most values one example may have after a layer (64 MB of float32 per example).</summary>
    public const double MaxValuesPerExample = 1 << 24;

    /// <summary>
    /// The parameters the layer will have on an input of <paramref name="shape"/>, after checking, before it is built, that
    /// they and its output per example stay within <see cref="MaxParameters"/> and <see cref="MaxValuesPerExample"/>: a spec
    /// (typed, or read from a model file) must not make the process allocate gigabytes.
    /// </summary>
    private static double CheckSize(Layer layer, int[] shape, int? outputs, double before, List<string> trail)
    {
        double parameters = Parameters(layer, [.. shape.Select(d => (double)d)], outputs ?? 0), values = 0;
        if (layer.Kind == "conv" && shape.Length == 3)
        {
            int padding = layer.SamePadding ? layer.Sizes[1] : layer.Option("p", 0);
            values = (double)layer.Sizes[0] * (shape[1] + 2.0 * padding) * (shape[2] + 2.0 * padding);
        }
        else if (layer.Kind == "linear")
        {
            values = layer.Out ?? outputs ?? 0;
        }
        if (before + parameters > MaxParameters)
            throw ShapeError(trail, string.Create(CultureInfo.InvariantCulture,
                $"{layer.Token} would bring the network to {before + parameters:N0} parameters; at most {MaxParameters:N0} are allowed"));
        if (values > MaxValuesPerExample)
            throw ShapeError(trail, string.Create(CultureInfo.InvariantCulture,
                $"{layer.Token} would give about {values:N0} values per example; at most {MaxValuesPerExample:N0} are allowed"));
        return parameters;
    }

    /// <summary>
    /// About how many parameters the network has for <paramref name="inputs"/> features and <paramref name="outputs"/>
    /// outputs, from the shapes alone (nothing is allocated): what a model file's tensors must roughly hold.
    /// </summary>
    public double ParameterCount(int inputs, int outputs)
    {
        double[] shape = [inputs];
        if (HasImageLayers)
        {
            var image = layers[0].Kind == "input" ? layers[0].Sizes : SquareImage(inputs);
            shape = [image[0], image[1], image[2]];
        }
        double parameters = 0;
        for (int i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            double Out(double size, int kernel, int stride, int padding, int dilation) =>
                Math.Max(1, Math.Floor((size + 2.0 * padding - dilation * (kernel - 1.0) - 1) / stride) + 1);
            parameters += Parameters(layer, shape, outputs);
            switch (layer.Kind)
            {
                case "conv" when shape.Length == 3:
                    int k = layer.Sizes[1], stride = layer.Option("s", 1), dilation = layer.Option("d", 1);
                    shape = layer.SamePadding ? [layer.Sizes[0], shape[1], shape[2]]
                        : [layer.Sizes[0], Out(shape[1], k, stride, layer.Option("p", 0), dilation), Out(shape[2], k, stride, layer.Option("p", 0), dilation)];
                    break;
                case "maxpool" or "avgpool" when shape.Length == 3:
                    int size = layer.Sizes[0], poolStride = layer.Option("s", size), poolPadding = layer.Option("p", 0);
                    shape = [shape[0], Out(shape[1], size, poolStride, poolPadding, 1), Out(shape[2], size, poolStride, poolPadding, 1)];
                    break;
                case "gap" when shape.Length == 3:
                    shape = [shape[0], 1, 1];
                    break;
                case "flatten":
                    shape = [shape.Aggregate(1.0, (a, b) => a * b)];
                    break;
                case "linear":
                    shape = [layer.Out ?? outputs];
                    break;
            }
        }
        return parameters;
    }

    /// <summary>The parameters <paramref name="layer"/> has on an input of <paramref name="shape"/> (one example's).</summary>
    private static double Parameters(Layer layer, double[] shape, double outputs)
    {
        switch (layer.Kind)
        {
            case "conv" when shape.Length == 3:
                double k = layer.Sizes[1];
                return layer.Sizes[0] * Math.Floor(shape[0] / Math.Max(layer.Option("g", 1), 1)) * k * k + layer.Sizes[0];
            case "linear":
                double width = layer.Out ?? outputs;
                return shape.Aggregate(1.0, (a, b) => a * b) * width + width;
            case "bn":
                return 2.0 * shape[0];
            default:
                return 0;
        }
    }

    private static Module Create(Layer layer, int[] shape, int? outputs, Generator generator, List<string> trail)
    {
        bool image = shape.Length == 3;
        if (layer.IsImage && !image)
            throw ShapeError(trail, $"{layer.Token} needs images (C, H, W), it gets features {Format(shape)}");
        switch (layer.Kind)
        {
            case "conv":
                return new Conv2d(shape[0], layer.Sizes[0], layer.Sizes[1], layer.Option("s", 1),
                    layer.SamePadding ? ConvPadding.Same : layer.Option("p", 0), layer.Option("d", 1), layer.Option("g", 1),
                    bias: !layer.Flags.Contains("nobias"), generator: generator);
            case "maxpool":
                return new MaxPool2d(layer.Sizes[0], layer.Option("s", layer.Sizes[0]), layer.Option("p", 0));
            case "avgpool":
                return new AvgPool2d(layer.Sizes[0], layer.Option("s", layer.Sizes[0]), layer.Option("p", 0));
            case "gap":
                return new AdaptiveAvgPool2d(1);
            case "bn":
                return image ? new BatchNorm2d(shape[0]) : new BatchNorm1d(shape[0]);
            case "dropout":
                return new Dropout(layer.Probability, generator);
            case "flatten":
                return new Flatten();
            case "linear":
                return new Linear(shape[0], layer.Out ?? outputs!.Value, generator: generator);
            default:
                return ActivationModules.Create(layer.Kind);
        }
    }

    private static int[] SquareImage(int inputs)
    {
        int side = (int)Math.Round(Math.Sqrt(inputs));
        if (side * side != inputs)
            throw new ArgumentException(
                $"Invalid value for option --model: image layers need the features as images, and {inputs} features are not a square " +
                "image; start the spec with input:C:H:W.");
        return [1, side, side];
    }

    private static Layer ParseLayer(string token, int index, string spec)
    {
        var parts = token.Split(':');
        string kind = parts[0];
        var sizes = new List<int>();
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        var flags = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 1; i < parts.Length; i++)
        {
            int equals = parts[i].IndexOf('=', StringComparison.Ordinal);
            if (equals > 0) options[parts[i][..equals]] = parts[i][(equals + 1)..];
            else if (parts[i] == "nobias") flags.Add(parts[i]);
            else if (options.Count == 0 && flags.Count == 0 && kind != "dropout") sizes.Add(Positive(parts[i], token, spec));
            else if (kind == "dropout" && i == 1) { }
            else throw Invalid(spec, token, $"'{parts[i]}' is not a size or an option of {kind}");
        }
        var layer = new Layer(kind, token, [.. sizes], options, flags);
        switch (kind)
        {
            case "input":
                Require(sizes.Count == 3 && options.Count == 0 && flags.Count == 0, spec, token, "input:C:H:W");
                break;
            case "conv":
                Require(sizes.Count == 2, spec, token, "conv:OUT:K with options s=S, p=P or p=same, d=D, g=G, nobias");
                CheckOptions(layer, spec, ["s", "p", "d", "g"], allowNoBias: true);
                break;
            case "maxpool" or "avgpool":
                Require(sizes.Count == 1, spec, token, $"{kind}:K with options s=S, p=P");
                CheckOptions(layer, spec, ["s", "p"], allowNoBias: false);
                break;
            case "gap" or "bn" or "flatten":
                Require(parts.Length == 1, spec, token, $"{kind} takes no arguments");
                break;
            case "dropout":
                Require(parts.Length == 2 && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double p) && p >= 0 && p < 1,
                    spec, token, "dropout:P with P in [0, 1)");
                break;
            case "linear":
                Require(sizes.Count <= 1 && options.Count == 0 && flags.Count == 0, spec, token, "linear:OUT, or linear as the last layer");
                break;
            default:
                if (!ActivationModules.Names.Contains(kind) || parts.Length > 1)
                {
                    string? nearest = Commands.CommandLineErrors.Nearest([.. LayerKinds, .. ActivationModules.Names], kind);
                    throw Invalid(spec, token, (nearest is null ? "" : $"did you mean '{nearest}'? ") + "expected a layer: " +
                        string.Join(", ", LayerKinds) + ", or an activation: " + string.Join(", ", ActivationModules.Names) +
                        $" (token {index + 1})");
                }
                break;
        }
        return layer;
    }

    private static void CheckOptions(Layer layer, string spec, string[] allowed, bool allowNoBias)
    {
        foreach (var (key, value) in layer.Options)
        {
            if (!allowed.Contains(key))
                throw Invalid(spec, layer.Token, $"unknown option '{key}=' (allowed: {string.Join(", ", allowed.Select(a => a + "="))})");
            if (key == "p" && value == "same" && layer.Kind == "conv") continue;
            if (key is "s" or "d" or "g" ? !IsPositive(value) : !IsNonNegative(value))
                throw Invalid(spec, layer.Token, $"'{key}={value}' needs a {(key is "s" or "d" or "g" ? "positive" : "non-negative")} whole number");
        }
        if (!allowNoBias && layer.Flags.Count > 0) throw Invalid(spec, layer.Token, "nobias is an option of conv only");
    }

    private static bool IsPositive(string text) => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v > 0;

    private static bool IsNonNegative(string text) => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out _);

    private static int Positive(string text, string token, string spec) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v > 0 && v <= 1 << 20
            ? v
            : throw Invalid(spec, token, $"'{text}' is not a positive whole number");

    private static void Require(bool condition, string spec, string token, string expected)
    {
        if (!condition) throw Invalid(spec, token, "expected " + expected);
    }

    private static ArgumentException Invalid(string spec, string token, string problem) =>
        new($"Invalid value '{Shorten(spec)}' for option --model: layer '{Shorten(token)}': {problem}.");

    private static ArgumentException ShapeError(List<string> trail, string problem) =>
        new($"Invalid value for option --model: {problem}; shapes so far: {string.Join(" -> ", trail)}.");

    private static string Format(int[] shape) => "(" + string.Join(", ", shape) + ")";

    private static string Shorten(string text) => text.Length <= 120 ? text : text[..117] + "...";

    private sealed record Layer(string Kind, string Token, int[] Sizes, Dictionary<string, string> Options, HashSet<string> Flags)
    {
        public bool IsImage => Kind is "conv" or "maxpool" or "avgpool" or "gap";

        public int? Out => Kind == "linear" && Sizes.Length == 1 ? Sizes[0] : null;

        public bool SamePadding => Options.TryGetValue("p", out var p) && p == "same";

        public double Probability => double.Parse(Token.Split(':')[1], CultureInfo.InvariantCulture);

        public int Option(string key, int fallback) =>
            Options.TryGetValue(key, out var value) ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;
    }
}
