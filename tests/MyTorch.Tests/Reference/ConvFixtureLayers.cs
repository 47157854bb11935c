using System.Text.Json;
using MyTorch.NN;

namespace MyTorch.Tests.Reference;

/// <summary>A fixture case's layer built in MyTorch from PyTorch's arguments, with the fixture's parameters copied in.</summary>
internal sealed class ConvFixtureLayers
{
    public static readonly string[] Names =
    [
        "Conv2d", "Conv1d", "conv2d", "conv1d", "MaxPool2d", "MaxPool1d", "AvgPool2d", "AvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool1d", "Flatten", "BatchNorm2d",
    ];

    private ConvFixtureLayers(Func<Tensor, Tensor> forward, List<(string, Tensor)> parameters, List<(string, Tensor)> state)
    {
        Forward = forward;
        Parameters = parameters;
        State = state;
    }

    public Func<Tensor, Tensor> Forward { get; }

    /// <summary>The parameters, in the fixture's order (weight, bias).</summary>
    public List<(string Name, Tensor Tensor)> Parameters { get; }

    /// <summary>The buffers the fixture's "state" checks.</summary>
    public List<(string Name, Tensor Tensor)> State { get; }

    private static bool Has(JsonElement args, string key) => args.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null;

    private static int Int(JsonElement args, string key, int fallback) => Has(args, key) ? args.GetProperty(key).GetInt32() : fallback;

    private static bool Bool(JsonElement args, string key, bool fallback) => Has(args, key) ? args.GetProperty(key).GetBoolean() : fallback;

    private static Size2 Pair(JsonElement args, string key, Size2 fallback)
    {
        if (!Has(args, key)) return fallback;
        var v = args.GetProperty(key);
        return v.ValueKind == JsonValueKind.Array ? new Size2(v[0].GetInt32(), v[1].GetInt32()) : v.GetInt32();
    }

    private static ConvPadding Padding(JsonElement args)
    {
        if (!Has(args, "padding")) return 0;
        var v = args.GetProperty("padding");
        return v.ValueKind switch
        {
            JsonValueKind.String => v.GetString()!,
            JsonValueKind.Array => (v[0].GetInt32(), v[1].GetInt32()),
            _ => v.GetInt32(),
        };
    }

    private static void Load(Tensor target, JsonElement inputs, string key, DType dtype)
    {
        using (Autograd.NoGrad()) target.CopyFrom(FixtureFile.ToTensor(inputs.GetProperty(key), dtype, false));
    }

    private static List<(string, Tensor)> LoadParameters(Module module, JsonElement inputs, DType dtype)
    {
        var list = new List<(string, Tensor)>();
        foreach (var (key, p) in module.NamedParameters())
        {
            Load(p, inputs, key, dtype);
            list.Add((key, p));
        }
        return list;
    }

    private static ConvFixtureLayers Stateless(Module module) => new(module.Forward, [], []) { module = module };

    public static ConvFixtureLayers Build(string layer, JsonElement args, JsonElement inputs, DType dtype, bool training = true)
    {
        var built = BuildLayer(layer, args, inputs, dtype);
        built.module?.Train(training);
        return built;
    }

    private Module? module;

    private static ConvFixtureLayers BuildLayer(string layer, JsonElement args, JsonElement inputs, DType dtype)
    {
        switch (layer)
        {
            case "Conv2d":
            {
                var m = new Conv2d(Int(args, "in_channels", 0), Int(args, "out_channels", 0), Pair(args, "kernel_size", 0), Pair(args, "stride", 1),
                    Padding(args), Pair(args, "dilation", 1), Int(args, "groups", 1), Bool(args, "bias", true), dtype);
                return new(m.Forward, LoadParameters(m, inputs, dtype), []) { module = m };
            }
            case "Conv1d":
            {
                var m = new Conv1d(Int(args, "in_channels", 0), Int(args, "out_channels", 0), Int(args, "kernel_size", 0), Int(args, "stride", 1),
                    Padding(args), Int(args, "dilation", 1), Int(args, "groups", 1), Bool(args, "bias", true), dtype);
                return new(m.Forward, LoadParameters(m, inputs, dtype), []) { module = m };
            }
            case "conv2d" or "conv1d":
            {
                var w = FixtureFile.ToTensor(inputs.GetProperty("weight"), dtype, true);
                var b = inputs.TryGetProperty("bias", out var bias) ? FixtureFile.ToTensor(bias, dtype, true) : null;
                List<(string, Tensor)> parameters = b is null ? [("weight", w)] : [("weight", w), ("bias", b)];
                if (layer == "conv2d")
                    return new(x => x.Conv2d(w, b, Pair(args, "stride", 1), Padding(args), Pair(args, "dilation", 1), Int(args, "groups", 1)), parameters, []);
                return new(x => x.Conv1d(w, b, Int(args, "stride", 1), Padding(args), Int(args, "dilation", 1), Int(args, "groups", 1)), parameters, []);
            }
            case "MaxPool2d":
                return Stateless(new MaxPool2d(Pair(args, "kernel_size", 0), Has(args, "stride") ? Pair(args, "stride", 0) : null, Pair(args, "padding", 0),
                    Pair(args, "dilation", 1), Bool(args, "ceil_mode", false)));
            case "MaxPool1d":
                return Stateless(new MaxPool1d(Int(args, "kernel_size", 0), Has(args, "stride") ? Int(args, "stride", 0) : null, Int(args, "padding", 0),
                    Int(args, "dilation", 1), Bool(args, "ceil_mode", false)));
            case "AvgPool2d":
                return Stateless(new AvgPool2d(Pair(args, "kernel_size", 0), Has(args, "stride") ? Pair(args, "stride", 0) : null, Pair(args, "padding", 0),
                    Bool(args, "ceil_mode", false), Bool(args, "count_include_pad", true)));
            case "AvgPool1d":
                return Stateless(new AvgPool1d(Int(args, "kernel_size", 0), Has(args, "stride") ? Int(args, "stride", 0) : null, Int(args, "padding", 0),
                    Bool(args, "ceil_mode", false), Bool(args, "count_include_pad", true)));
            case "AdaptiveAvgPool2d":
                return Stateless(new AdaptiveAvgPool2d(Pair(args, "output_size", 0)));
            case "AdaptiveAvgPool1d":
                return Stateless(new AdaptiveAvgPool1d(Int(args, "output_size", 0)));
            case "Flatten":
                return Stateless(new Flatten(Int(args, "start_dim", 1), Int(args, "end_dim", -1)));
            case "BatchNorm2d":
            {
                double? momentum = Has(args, "momentum") ? args.GetProperty("momentum").GetDouble() : 0.1;
                var m = new BatchNorm2d(Int(args, "num_features", 0), Has(args, "eps") ? args.GetProperty("eps").GetDouble() : 1e-5, momentum,
                    Bool(args, "affine", true), Bool(args, "track_running_stats", true), dtype);
                var parameters = LoadParameters(m, inputs, dtype);
                var state = new List<(string, Tensor)>();
                if (m.RunningMean is not null)
                {
                    Load(m.RunningMean, inputs, "running_mean", dtype);
                    Load(m.RunningVar!, inputs, "running_var", dtype);
                    state.Add(("running_mean", m.RunningMean));
                    state.Add(("running_var", m.RunningVar!));
                }
                return new(m.Forward, parameters, state) { module = m };
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(layer), layer, "no builder for this fixture layer");
        }
    }
}
