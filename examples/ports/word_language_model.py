"""PyTorch's word-level language model example, ported to gradkit.

Lines changed from the original
-------------------------------
- ``model.load_state_dict(torch.load(f))``: the original's ``model = torch.load(f)`` unpickles a whole
  new module; gradkit never pickles: ``torch.save(model, f)`` (kept as written) stores the module's
  weights, and ``torch.load`` gives them back as a state dict, loaded into the model already built.

Original: ``word_language_model/`` in the ``pytorch/examples`` repository (``main.py``, ``model.py`` and
``data.py``, here in one file, in that order of ideas: the corpus, the model, the training script).

Structure (kept): ``Dictionary``/``Corpus`` reading ``train.txt``/``valid.txt``/``test.txt`` with an
``<eos>`` token per line; ``RNNModel`` with an ``nn.Embedding`` encoder, ``nn.LSTM`` (or GRU/RNN) with
dropout between layers, dropout on its input and output, an ``nn.Linear`` decoder whose weight is tied to
the encoder's with ``--tied``, ``init_weights`` (uniform in +-0.1, zero decoder bias) and ``init_hidden``
(``weight.new_zeros``); ``batchify`` (``narrow``, ``view(bsz, -1).t().contiguous()``), ``get_batch``,
``repackage_hidden`` (``detach`` of a tensor or a tuple), ``nn.NLLLoss`` on ``F.log_softmax``, truncated
backpropagation through time, ``torch.nn.utils.clip_grad_norm_``, the manual SGD update
``p.data.add_(p.grad, alpha=-lr)``, the learning rate divided by 4 when the validation loss stops
improving, the best model saved and reloaded, and perplexities printed with ``math.exp``. The original's
options are kept (their defaults too); its Transformer model and ONNX export are left out.

Imports and data: gradkit under torch's names; instead of Wikitext-2, ``--data`` defaults to a folder
made on the fly with ``train.txt``/``valid.txt``/``test.txt`` of sentences generated from a small
grammar (about 40 words; written for this port, see ``write_grammar_corpus``).
"""
import argparse
import math
import os
import random
import tempfile
import time

import gradkit as torch                                   # import torch
import gradkit.nn as nn                                   # import torch.nn as nn
import gradkit.nn.functional as F                         # import torch.nn.functional as F


# --- data (replaces Wikitext-2: a corpus generated from a small grammar) ---
def write_grammar_corpus(path, n_train=600, n_valid=80, n_test=80, seed=0):
    """Write train/valid/test files of sentences from a tiny English-like grammar."""
    rng = random.Random(seed)
    det = ["the", "a", "my", "every"]
    adj = ["small", "old", "happy", "red", "quiet"]
    noun = ["cat", "dog", "teacher", "child", "bird", "farmer"]
    verb = ["sees", "likes", "follows", "finds", "helps"]
    place = ["garden", "house", "river", "market"]
    adv = ["slowly", "quickly", "often", "today"]

    def noun_phrase():
        words = [rng.choice(det)]
        if rng.random() < 0.4:
            words.append(rng.choice(adj))
        return words + [rng.choice(noun)]

    def sentence():
        words = noun_phrase() + [rng.choice(verb)] + noun_phrase()
        if rng.random() < 0.5:
            words += ["in", "the", rng.choice(place)]
        if rng.random() < 0.3:
            words.append(rng.choice(adv))
        return " ".join(words) + " ."

    os.makedirs(path, exist_ok=True)
    for name, n in (("train.txt", n_train), ("valid.txt", n_valid), ("test.txt", n_test)):
        with open(os.path.join(path, name), "w", encoding="utf8") as f:
            f.write("\n".join(sentence() for _ in range(n)) + "\n")
    return path


# --- data.py ---
class Dictionary(object):
    def __init__(self):
        self.word2idx = {}
        self.idx2word = []

    def add_word(self, word):
        if word not in self.word2idx:
            self.idx2word.append(word)
            self.word2idx[word] = len(self.idx2word) - 1
        return self.word2idx[word]

    def __len__(self):
        return len(self.idx2word)


class Corpus(object):
    def __init__(self, path):
        self.dictionary = Dictionary()
        self.train = self.tokenize(os.path.join(path, 'train.txt'))
        self.valid = self.tokenize(os.path.join(path, 'valid.txt'))
        self.test = self.tokenize(os.path.join(path, 'test.txt'))

    def tokenize(self, path):
        """The word ids of a file, one <eos> after each line (new words join the dictionary)."""
        assert os.path.exists(path)
        # first pass: the vocabulary
        with open(path, 'r', encoding="utf8") as f:
            for line in f:
                words = line.split() + ['<eos>']
                for word in words:
                    self.dictionary.add_word(word)

        # second pass: the ids
        with open(path, 'r', encoding="utf8") as f:
            idss = []
            for line in f:
                words = line.split() + ['<eos>']
                ids = []
                for word in words:
                    ids.append(self.dictionary.word2idx[word])
                idss.append(torch.tensor(ids).type(torch.int64))
            ids = torch.cat(idss)

        return ids


# --- model.py ---
class RNNModel(nn.Module):
    """Embedding -> recurrent layers -> linear decoder, with dropout before and after the recurrence."""

    def __init__(self, rnn_type, ntoken, ninp, nhid, nlayers, dropout=0.5, tie_weights=False):
        super(RNNModel, self).__init__()
        self.ntoken = ntoken
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        if rnn_type in ['LSTM', 'GRU']:
            self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=dropout)
        else:
            try:
                nonlinearity = {'RNN_TANH': 'tanh', 'RNN_RELU': 'relu'}[rnn_type]
            except KeyError as e:
                raise ValueError("--model must be one of LSTM, GRU, RNN_TANH, RNN_RELU; "
                                 f"got {rnn_type!r}") from e
            self.rnn = nn.RNN(ninp, nhid, nlayers, nonlinearity=nonlinearity, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)

        # weight tying (Press & Wolf 2016; Inan et al. 2016): one matrix embeds and decodes words
        if tie_weights:
            if nhid != ninp:
                raise ValueError('--tied needs --nhid equal to --emsize')
            self.decoder.weight = self.encoder.weight

        self.init_weights()

        self.rnn_type = rnn_type
        self.nhid = nhid
        self.nlayers = nlayers

    def init_weights(self):
        initrange = 0.1
        nn.init.uniform_(self.encoder.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -initrange, initrange)

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output)
        decoded = decoded.view(-1, self.ntoken)
        return F.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        if self.rnn_type == 'LSTM':
            return (weight.new_zeros(self.nlayers, bsz, self.nhid),
                    weight.new_zeros(self.nlayers, bsz, self.nhid))
        else:
            return weight.new_zeros(self.nlayers, bsz, self.nhid)


# --- main.py ---
parser = argparse.ArgumentParser(description='gradkit port of the PyTorch word-level RNN/LSTM language model')
parser.add_argument('--data', type=str, default=None,
                    help='folder with train.txt, valid.txt and test.txt (default: a generated corpus)')
parser.add_argument('--model', type=str, default='LSTM',
                    help='recurrent layer: LSTM, GRU, RNN_TANH or RNN_RELU')
parser.add_argument('--emsize', type=int, default=200,
                    help='embedding size')
parser.add_argument('--nhid', type=int, default=200,
                    help='hidden units in each recurrent layer')
parser.add_argument('--nlayers', type=int, default=2,
                    help='recurrent layers')
parser.add_argument('--lr', type=float, default=20,
                    help='learning rate at the start')
parser.add_argument('--clip', type=float, default=0.25,
                    help='largest gradient norm')
parser.add_argument('--epochs', type=int, default=40,
                    help='most epochs')
parser.add_argument('--batch_size', type=int, default=20, metavar='N',
                    help='columns of the training data')
parser.add_argument('--bptt', type=int, default=35,
                    help='steps of backpropagation through time')
parser.add_argument('--dropout', type=float, default=0.2,
                    help='dropout probability (0: none)')
parser.add_argument('--tied', action='store_true',
                    help='share the embedding and decoder weights')
parser.add_argument('--seed', type=int, default=1111,
                    help='seed')
parser.add_argument('--log-interval', type=int, default=200, metavar='N',
                    help='batches between log lines')
parser.add_argument('--save', type=str, default='model.pt',
                    help='file for the best weights')
parser.add_argument('--dry-run', action='store_true',
                    help='one batch an epoch, to check the program runs')
parser.add_argument('--accel', action='store_true', help='use the accelerator when there is one')
args = parser.parse_args()

# reproducible runs
torch.manual_seed(args.seed)

if args.accel and torch.accelerator.is_available():
    device = torch.accelerator.current_accelerator()
else:
    device = torch.device("cpu")

print("Using device:", device)

# ----------------------------------------------------------------------------
# the data
# ----------------------------------------------------------------------------

if args.data is None:  # (the generated corpus replaces the Wikitext-2 download)
    args.data = write_grammar_corpus(tempfile.mkdtemp(prefix="grammar_corpus_"))
corpus = Corpus(args.data)

# batchify cuts the token stream into bsz equal columns (the tail that does not fit is dropped), so
# that row t holds token t of every column; columns are independent streams for the model.


def batchify(data, bsz):
    nbatch = data.size(0) // bsz
    data = data.narrow(0, 0, nbatch * bsz)
    data = data.view(bsz, -1).t().contiguous()
    return data.to(device)


eval_batch_size = 10
train_data = batchify(corpus.train, args.batch_size)
val_data = batchify(corpus.valid, eval_batch_size)
test_data = batchify(corpus.test, eval_batch_size)

# ----------------------------------------------------------------------------
# the model
# ----------------------------------------------------------------------------

ntokens = len(corpus.dictionary)
model = RNNModel(args.model, ntokens, args.emsize, args.nhid, args.nlayers, args.dropout, args.tied).to(device)

criterion = nn.NLLLoss()

# ----------------------------------------------------------------------------
# training
# ----------------------------------------------------------------------------


def repackage_hidden(h):
    """The hidden state (a tensor or a tuple of them) cut from the graph that made it."""
    if isinstance(h, torch.Tensor):
        return h.detach()
    else:
        return tuple(repackage_hidden(v) for v in h)


# get_batch takes up to bptt rows starting at row i as input, and the same rows shifted by one as the
# targets (flattened, to match the decoder's (rows * columns, ntokens) output).

def get_batch(source, i):
    seq_len = min(args.bptt, len(source) - 1 - i)
    data = source[i:i + seq_len]
    target = source[i + 1:i + 1 + seq_len].view(-1)
    return data, target


def evaluate(data_source):
    # evaluation mode: no dropout
    model.eval()
    total_loss = 0.
    hidden = model.init_hidden(eval_batch_size)
    with torch.no_grad():
        for i in range(0, data_source.size(0) - 1, args.bptt):
            data, targets = get_batch(data_source, i)
            output, hidden = model(data, hidden)
            hidden = repackage_hidden(hidden)
            total_loss += len(data) * criterion(output, targets).item()
    return total_loss / (len(data_source) - 1)


def train():
    # training mode: dropout on
    model.train()
    total_loss = 0.
    start_time = time.time()
    hidden = model.init_hidden(args.batch_size)
    for batch, i in enumerate(range(0, train_data.size(0) - 1, args.bptt)):
        data, targets = get_batch(train_data, i)
        # truncated backpropagation through time: the state carries over, its history does not
        model.zero_grad()
        hidden = repackage_hidden(hidden)
        output, hidden = model(data, hidden)
        loss = criterion(output, targets)
        loss.backward()

        # rescale the gradients to norm at most args.clip (recurrent nets' exploding gradients)
        torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        for p in model.parameters():
            p.data.add_(p.grad, alpha=-lr)

        total_loss += loss.item()

        if batch % args.log_interval == 0 and batch > 0:
            cur_loss = total_loss / args.log_interval
            elapsed = time.time() - start_time
            print('| epoch {:3d} | {:5d}/{:5d} batches | lr {:02.2f} | ms/batch {:5.2f} | '
                  'loss {:5.2f} | ppl {:8.2f}'.format(
                      epoch, batch, len(train_data) // args.bptt, lr,
                      elapsed * 1000 / args.log_interval, cur_loss, math.exp(cur_loss)))
            total_loss = 0
            start_time = time.time()
        if args.dry_run:
            break


# the epochs
lr = args.lr
best_val_loss = None

# Ctrl-C stops training and goes on to the test with the best model saved so far.
try:
    for epoch in range(1, args.epochs + 1):
        epoch_start_time = time.time()
        train()
        val_loss = evaluate(val_data)
        print('-' * 89)
        print('| end of epoch {:3d} | time: {:5.2f}s | valid loss {:5.2f} | '
              'valid ppl {:8.2f}'.format(epoch, (time.time() - epoch_start_time),
                                         val_loss, math.exp(val_loss)))
        print('-' * 89)
        # keep the model with the lowest validation loss
        if not best_val_loss or val_loss < best_val_loss:
            with open(args.save, 'wb') as f:
                torch.save(model, f)
            best_val_loss = val_loss
        else:
            # no improvement on the validation set: a quarter of the learning rate
            lr /= 4.0
except KeyboardInterrupt:
    print('-' * 89)
    print('Exiting from training early')

# back to the best model
with open(args.save, 'rb') as f:
    model.load_state_dict(torch.load(f))
    # (for cuDNN's packed weight layout in torch; recurrent layers only)
    if args.model in ['RNN_TANH', 'RNN_RELU', 'LSTM', 'GRU']:
        model.rnn.flatten_parameters()

# the test set
test_loss = evaluate(test_data)
print('=' * 89)
print('| End of training | test loss {:5.2f} | test ppl {:8.2f}'.format(
    test_loss, math.exp(test_loss)))
print('=' * 89)
