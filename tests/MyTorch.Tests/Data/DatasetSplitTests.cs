using MyTorch.Data;
using Xunit;

namespace MyTorch.Tests.Data;

public class DatasetSplitTests
{
    private static TensorDataset Numbered(int count)
    {
        var y = new double[count];
        for (int i = 0; i < count; i++) y[i] = i;
        return new TensorDataset(Tensor.FromArray(y, [count, 1]), Tensor.FromArray(y));
    }

    private static int[] Ids(TensorDataset data) => data.Targets.ToArray<double>().Select(v => (int)v).ToArray();

    [Theory]
    [InlineData(100, 0.2, 80, 20)]
    [InlineData(100, 0.29, 71, 29)]
    [InlineData(10, 0.25, 7, 3)]
    [InlineData(3, 0.1, 3, 0)]
    [InlineData(2, 0.9, 1, 1)]
    public void SizesFollowTheFraction(int count, double fraction, int train, int validation)
    {
        var (trainSet, validationSet) = DatasetSplit.TrainValidation(Numbered(count), fraction, new Generator(0));
        Assert.Equal(train, trainSet.Count);
        Assert.Equal(validation, validationSet.Count);
    }

    [Fact]
    public void TheSetsAreDisjointAndCoverEveryRow()
    {
        var (train, validation) = DatasetSplit.TrainValidation(Numbered(50), 0.3, new Generator(9));
        var trainIds = Ids(train);
        var validationIds = Ids(validation);
        Assert.Empty(trainIds.Intersect(validationIds));
        Assert.Equal(Enumerable.Range(0, 50), trainIds.Concat(validationIds).Order());
        Assert.Equal(Ids(train), train.Inputs.ToArray<double>().Select(v => (int)v).ToArray());
    }

    [Fact]
    public void TheSameSeedGivesTheSameSplitAndAnotherSeedAnother()
    {
        var data = Numbered(40);
        var first = DatasetSplit.TrainValidation(data, 0.25, new Generator(7));
        var again = DatasetSplit.TrainValidation(data, 0.25, new Generator(7));
        var other = DatasetSplit.TrainValidation(data, 0.25, new Generator(8));
        Assert.Equal(Ids(first.Validation), Ids(again.Validation));
        Assert.Equal(Ids(first.Train), Ids(again.Train));
        Assert.NotEqual(Ids(first.Validation), Ids(other.Validation));
    }

    [Fact]
    public void ZeroFractionGivesAnEmptyValidationSetThatStillBatches()
    {
        var (train, validation) = DatasetSplit.TrainValidation(Numbered(6), 0, new Generator(1));
        Assert.Equal(6, train.Count);
        Assert.Equal(0, validation.Count);
        Assert.Equal([0, 1], validation.Inputs.Shape.ToArray());
        var loader = new DataLoader(validation, 4, shuffle: true, generator: new Generator(1));
        Assert.Equal(0, loader.BatchCount);
        Assert.Empty(loader);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.0)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void FractionsOutsideZeroToOneAreRejected(double fraction)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => DatasetSplit.TrainValidation(Numbered(5), fraction, new Generator(0)));
        Assert.Equal("validationFraction", error.ParamName);
    }

    [Fact]
    public void NullArgumentsAreRejected()
    {
        Assert.Throws<ArgumentNullException>(() => DatasetSplit.TrainValidation(null!, 0.2, new Generator(0)));
        Assert.Throws<ArgumentNullException>(() => DatasetSplit.TrainValidation(Numbered(3), 0.2, null!));
    }
}
