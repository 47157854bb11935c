namespace MyTorch;

/// <summary>
/// In-place ops that autograd understands, as PyTorch's: changing a tensor computed by recorded ops records the change as
/// one more op on it, so gradients flow through the change to the earlier version; each change counts up the tensor's
/// <see cref="Version"/>, so a backward pass that needs values changed since it saved them refuses to run.
/// </summary>
public sealed partial class Tensor
{
    // Earlier versions of this tensor, each with the sequence number of the change that replaced it, oldest first.
    private List<(long Sequence, Tensor Previous)>? previousVersions;

    /// <summary>This tensor as a node made at <paramref name="nodeSequence"/> saw it: the version before every later change.</summary>
    internal Tensor VersionSeenBy(long nodeSequence)
    {
        if (previousVersions is null) return this;
        foreach (var (sequence, previous) in previousVersions)
            if (sequence > nodeSequence) return previous;
        return this;
    }

    /// <summary>
    /// Before an in-place <paramref name="op"/> with <paramref name="other"/> as its operand changes this tensor: the alias of
    /// the current version that the recorded change will take as its input; null when the change is not recorded (gradients
    /// off, a leaf, or nothing involved requires grad).
    /// </summary>
    private Tensor? BeginInPlace(string op, Tensor? other)
    {
        // A leaf is changed without recording (PyTorch raises instead): a parameter set by CopyFrom stays a leaf, and a graph
        // that saved its old values still refuses to backward, through the version check.
        if (!Autograd.IsGradEnabled || IsLeaf && requiresGrad || !(requiresGrad || (other?.RequiresGrad ?? false))) return null;
        var previous = new Tensor(storage, shape, DType, StorageSerial) { versions = SharedVersions, Name = Name };
        previous.GradFn = GradFn;
        previous.requiresGrad = requiresGrad;
        return previous;
    }

    /// <summary>
    /// Counts the change, and records it when <see cref="BeginInPlace"/> returned an earlier version: this tensor becomes the
    /// output of <paramref name="op"/> applied to it (and <paramref name="other"/>), with the backward
    /// <paramref name="kind"/> names. The backward is made only when recorded, so an unrecorded change allocates nothing.
    /// </summary>
    private void EndInPlace(string op, Tensor? previous, Tensor? other, InPlaceBackward kind, double factor = 1)
    {
        BumpVersion();
        if (previous is null) return;
        (previousVersions ??= []).Add((GradNode.NextSequence(), previous));
        GradFn = null;
        retainsGrad = false;
        MarkRecorded(new GradNode(op, other is null ? [previous] : [previous, other], MakeBackward(kind, factor), saved: SavedTensors.None));
    }

    private static BackwardFunction MakeBackward(InPlaceBackward kind, double factor) => kind switch
    {
        InPlaceBackward.Add => g => [g, factor == 1 ? g : g * factor],
        InPlaceBackward.Scale => g => [g * factor],
        InPlaceBackward.Overwrite => g => [null],
        _ => g => [null, g],
    };

    private enum InPlaceBackward
    {
        /// <summary>this += factor other: g to this, factor g to other.</summary>
        Add,

        /// <summary>this *= factor: factor g to this.</summary>
        Scale,

        /// <summary>Every value replaced by a constant: no gradient to the old values.</summary>
        Overwrite,

        /// <summary>Every value replaced by other's: g to other, none to the old values.</summary>
        Copy,
    }
}
