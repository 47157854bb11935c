using System.Text.Json;
using MyTorch.Optim;
using Xunit;

namespace MyTorch.Tests.Optim;

/// <summary>
/// Reads fixtures/optim.json (written by tests/reference/generate_optim_fixtures.py) and turns its JSON into
/// MyTorch tensors, optimizers and schedulers.
/// </summary>
internal static class OptimFixtures
{
    private static readonly Lazy<JsonDocument> Document = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "optim.json"))));

    /// <summary>The cases of one section ("optimizers", "schedulers" or "clip_grad_norm"), by name.</summary>
    public static Dictionary<string, JsonElement> Section(string name)
    {
        var cases = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var element in Document.Value.RootElement.GetProperty(name).EnumerateArray())
        {
            string caseName = element.GetProperty("name").GetString()!;
            if (!cases.TryAdd(caseName, element))
                throw new InvalidDataException($"optim.json: case name '{caseName}' appears twice in '{name}'.");
        }
        return cases;
    }

    public static TheoryData<string> Names(string section)
    {
        var data = new TheoryData<string>();
        foreach (var name in Section(section).Keys) data.Add(name);
        return data;
    }

    public static Tensor ToTensor(JsonElement json, DType dtype, bool requiresGrad = false)
    {
        int[] shape = json.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        double[] data = Data(json);
        return dtype == DType.Float64
            ? Tensor.FromArray(data, shape, requiresGrad)
            : Tensor.FromArray(data.Select(v => (float)v).ToArray(), shape, requiresGrad);
    }

    public static double[] Data(JsonElement json) => json.GetProperty("data").EnumerateArray().Select(e => e.GetDouble()).ToArray();

    public static DType DTypeOf(JsonElement c) => c.GetProperty("dtype").GetString() == "float64" ? DType.Float64 : DType.Float32;

    private static double Number(JsonElement options, string name, double fallback) =>
        options.TryGetProperty(name, out var value) ? value.GetDouble() : fallback;

    private static bool Flag(JsonElement options, string name) =>
        options.TryGetProperty(name, out var value) && value.GetBoolean();

    /// <summary>The case's optimizer over <paramref name="parameters"/>; a case without options uses the constructor's defaults.</summary>
    public static Optimizer CreateOptimizer(JsonElement c, IReadOnlyList<Tensor> parameters)
    {
        var options = c.GetProperty("options");
        var groups = new List<ParameterGroup>();
        if (c.GetProperty("groups").ValueKind == JsonValueKind.Null)
            groups.Add(new ParameterGroup(parameters));
        else
            foreach (var g in c.GetProperty("groups").EnumerateArray())
            {
                var overrides = g.GetProperty("options");
                double? lr = overrides.TryGetProperty("lr", out var value) ? value.GetDouble() : null;
                var groupOptions = overrides.EnumerateObject().Where(p => p.Name != "lr")
                    .ToDictionary(p => p.Name, p => p.Value.ValueKind switch
                    {
                        JsonValueKind.True => 1.0,
                        JsonValueKind.False => 0.0,
                        _ => p.Value.GetDouble(),
                    });
                groups.Add(new ParameterGroup(g.GetProperty("params").EnumerateArray().Select(i => parameters[i.GetInt32()]), lr, groupOptions));
            }
        bool defaults = !options.EnumerateObject().Any();
        return c.GetProperty("optimizer").GetString() switch
        {
            "SGD" => new SGD(groups, Number(options, "lr", double.NaN), Number(options, "momentum", 0), Flag(options, "nesterov"),
                Number(options, "weight_decay", 0)),
            "Adam" when defaults => new Adam(groups),
            "Adam" => new Adam(groups, Number(options, "lr", 1e-3), Number(options, "beta1", 0.9), Number(options, "beta2", 0.999),
                Number(options, "eps", 1e-8), Number(options, "weight_decay", 0), Flag(options, "amsgrad")),
            "AdamW" when defaults => new AdamW(groups),
            "AdamW" => new AdamW(groups, Number(options, "lr", 1e-3), Number(options, "beta1", 0.9), Number(options, "beta2", 0.999),
                Number(options, "eps", 1e-8), Number(options, "weight_decay", 1e-2), Flag(options, "amsgrad")),
            "RMSprop" => new RMSprop(groups, Number(options, "lr", 1e-2), Number(options, "alpha", 0.99), Number(options, "eps", 1e-8),
                Number(options, "weight_decay", 0), Number(options, "momentum", 0), Flag(options, "centered")),
            "Adagrad" => new Adagrad(groups, Number(options, "lr", 1e-2), Number(options, "lr_decay", 0), Number(options, "weight_decay", 0),
                Number(options, "initial_accumulator_value", 0), Number(options, "eps", 1e-10)),
            var other => throw new InvalidDataException($"optim.json: unknown optimizer '{other}'."),
        };
    }

    /// <summary>The schedule a case's "scheduler" describes, or null for none.</summary>
    public static LRScheduler? CreateScheduler(JsonElement spec, Optimizer optimizer)
    {
        if (spec.ValueKind == JsonValueKind.Null) return null;
        return spec.GetProperty("type").GetString() switch
        {
            "StepLR" => new StepLR(optimizer, spec.GetProperty("step_size").GetInt32(), spec.GetProperty("gamma").GetDouble()),
            "CosineAnnealingLR" => new CosineAnnealingLR(optimizer, spec.GetProperty("t_max").GetInt32(), spec.GetProperty("eta_min").GetDouble()),
            var other => throw new InvalidDataException($"optim.json: unknown scheduler '{other}'."),
        };
    }
}
