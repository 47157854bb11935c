using System.Globalization;
using MyTorch.NN;

namespace MyTorch.IO;

/// <summary>
/// The one mapping between a MyTorch model's state dict and PyTorch's: keys are the same (the names an equivalent
/// <c>torch.nn.Sequential</c> gives, <c>0.weight</c>, <c>1.running_mean</c>); a <see cref="Linear"/> weight is stored
/// (in, out) by MyTorch and (out, in) by PyTorch, its bias (1, out) and (out,). BatchNorm's weight, bias and
/// running statistics map one to one; PyTorch's <c>num_batches_tracked</c> counter has no MyTorch counterpart and is
/// accepted and ignored. Export (<see cref="ToPyTorch"/>) and import (<see cref="Load"/>) both go through here.
/// </summary>
public static class PyTorchStateDict
{
    /// <summary>The BatchNorm counter PyTorch saves and MyTorch does not keep.</summary>
    public const string BatchCounterLeaf = "num_batches_tracked";

    // An error stays one short line: the first few mismatches, then how many more.
    private const int MaxListedProblems = 6;

    /// <summary>The model's state dict in PyTorch's layouts, ready for <c>model.load_state_dict</c> there.</summary>
    public static StateDict ToPyTorch(Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var dict = new StateDict();
        var linears = LinearNames(model);
        using (Autograd.NoGrad())
        {
            foreach (var (key, value) in model.StateDict())
            {
                var (owner, leaf) = Split(key);
                bool isLinear = linears.Contains(owner);
                dict.Add(key, isLinear && leaf == "weight" ? value.T : isLinear && leaf == "bias" ? value.Reshape(-1) : value);
            }
        }
        return dict;
    }

    /// <summary>
    /// Reads a PyTorch state dict from a <c>torch.save</c> file (a zip archive) or a safetensors file, chosen by the
    /// file's first bytes, not its name. Half-precision tensors become float32 and integer tensors int64.
    /// </summary>
    /// <exception cref="DataFormatException">The file is malformed, hostile, or holds something other than tensors.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static StateDict Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return TorchFile.LooksLikeZip(path) || LooksLikeLegacyPickle(path) ? TorchFile.Load(path) : Safetensors.Load(path, convertDTypes: true);
    }

    private static bool LooksLikeLegacyPickle(string path)
    {
        using var stream = InputFile.OpenRead(path);
        Span<byte> head = stackalloc byte[3];
        return stream.ReadAtLeast(head, 3, throwOnEndOfStream: false) == 3 && head[0] == 0x80 && head[1] == 0x02 && head[2] == 0x8A;
    }

    /// <summary>
    /// Loads tensors in PyTorch's layouts into <paramref name="model"/>. Every name, dtype and shape is checked first,
    /// and values must be finite; every mismatch (missing, unexpected, wrong shape or dtype) is reported at once, with
    /// shapes as the file stores them, and the model is left unchanged when there is any.
    /// </summary>
    /// <param name="model">The model to load into.</param>
    /// <param name="tensors">The tensors, keyed as PyTorch keys them.</param>
    /// <param name="path">The file they came from, named in errors.</param>
    /// <param name="ignoredPrefixes">Keys under these prefixes are not the model's and are skipped (not unexpected).</param>
    /// <param name="convertFloats">Whether a floating-point tensor of another precision is converted (import) rather than refused (a MyTorch file).</param>
    /// <param name="describedBy">What describes the model, as the error names it ("its configuration", "the --model spec").</param>
    /// <param name="errorOffset">The byte offset errors name (8, a safetensors header, for a MyTorch file); none by default.</param>
    /// <exception cref="DataFormatException">A tensor is missing, unexpected, of the wrong dtype or shape, or not finite.</exception>
    public static void Load(Module model, StateDict tensors, string path, IReadOnlyCollection<string>? ignoredPrefixes = null, bool convertFloats = false,
        string describedBy = "its configuration", long? errorOffset = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tensors);
        ignoredPrefixes ??= [];
        var linears = LinearNames(model);
        var own = model.StateDict();
        var converted = new StateDict();
        var problems = new List<string>();
        foreach (var (key, target) in own)
        {
            var (owner, leaf) = Split(key);
            bool isLinear = linears.Contains(owner);
            int[] stored = isLinear && leaf == "weight" ? [target.Shape[1], target.Shape[0]]
                : isLinear && leaf == "bias" ? [target.Count] : target.Shape.ToArray();
            if (!tensors.TryGetValue(key, out var value))
            {
                problems.Add($"missing tensor {MessageText.Quote(key)} (expected {target.DType.Name()} {FormatShape(stored)})");
                continue;
            }
            int before = problems.Count;
            if (!value.Shape.SequenceEqual(stored))
                problems.Add($"tensor {MessageText.Quote(key)} has shape {FormatShape(value.Shape)}, expected {FormatShape(stored)}");
            if (value.DType != target.DType && !(convertFloats && value.DType.IsFloatingPoint() && target.DType.IsFloatingPoint()))
                problems.Add($"tensor {MessageText.Quote(key)} has dtype {value.DType.Name()}, expected {target.DType.Name()}");
            else if (value.DType.IsFloatingPoint() && !value.AllFinite())
                problems.Add($"tensor {MessageText.Quote(key)} holds NaN or infinity");
            if (problems.Count == before)
            {
                var cast = value.DType == target.DType ? value : value.To(target.DType);
                converted.Add(key, isLinear && leaf == "weight" ? cast.T : isLinear && leaf == "bias" ? cast.Reshape(target.Shape.ToArray()) : cast);
            }
        }
        foreach (var (key, value) in tensors)
        {
            if (own.ContainsKey(key) || ignoredPrefixes.Any(p => key.StartsWith(p, StringComparison.Ordinal))) continue;
            var (owner, leaf) = Split(key);
            if (leaf == BatchCounterLeaf && value.Rank == 0 && (own.ContainsKey(owner + ".running_mean") || owner.Length == 0 && own.ContainsKey("running_mean")))
                continue;
            problems.Add($"unexpected tensor {MessageText.Quote(key)}");
        }
        if (problems.Count > 0)
            throw new DataFormatException(path,
                $"its tensors do not fit {describedBy} ({problems.Count} problem{(problems.Count == 1 ? "" : "s")}): " +
                string.Join("; ", problems.Take(MaxListedProblems)) + (problems.Count > MaxListedProblems ? $"; and {problems.Count - MaxListedProblems} more" : ""),
                offset: errorOffset);
        try
        {
            model.LoadStateDict(converted, strict: true);
        }
        catch (ArgumentException error)
        {
            throw new DataFormatException(path, $"its tensors do not fit the configured model: {error.Message}");
        }
    }

    /// <summary>A shape as Python prints a tuple: <c>(3,)</c>, <c>(2, 3)</c>.</summary>
    public static string FormatShape(ReadOnlySpan<int> shape) =>
        shape.Length == 1 ? $"({shape[0].ToString(CultureInfo.InvariantCulture)},)"
        : "(" + string.Join(", ", shape.ToArray().Select(s => s.ToString(CultureInfo.InvariantCulture))) + ")";

    private static HashSet<string> LinearNames(Module model) =>
        model.NamedModules().Where(m => m.Module is Linear).Select(m => m.Name).ToHashSet(StringComparer.Ordinal);

    private static (string Owner, string Leaf) Split(string key)
    {
        int dot = key.LastIndexOf('.');
        return dot < 0 ? ("", key) : (key[..dot], key[(dot + 1)..]);
    }
}
