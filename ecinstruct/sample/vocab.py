"""Per-category vocabularies the sample catalogue is built from.

Every attribute value listed here is rendered into product titles, features or descriptions,
so attribute extraction, matching and query relevance all have real textual signal. Values
of one type never contain each other (no "Red" colour next to "Red Switches"), which keeps
the attribute evidence offsets unambiguous.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProductType:
    name: str  # singular, title case: "Wireless Mouse"
    path: tuple[str, ...]  # category path below the top level
    attrs: tuple[tuple[str, tuple[str, ...]], ...]  # (attribute, values) in render order
    complements: tuple[str, ...]  # types commonly bought together with this one
    uses: tuple[str, ...]  # "for ..." phrases for descriptions and queries
    price: tuple[float, float]  # typical price range in dollars


@dataclass(frozen=True)
class Category:
    key: str  # file-style name, as in the Amazon dump file names
    top: str  # first element of the 2018 `category` path
    main_cat: str
    brands: tuple[str, ...]
    types: tuple[ProductType, ...]


def _t(name, path, attrs, complements, uses, price):
    return ProductType(
        name,
        tuple(path),
        tuple((k, tuple(v)) for k, v in attrs.items()),
        tuple(complements),
        tuple(uses),
        price,
    )


# The tables below are data; one product type per block reads better than one value per line.
# fmt: off
BASIC = ["Black", "White", "Silver", "Navy Blue", "Charcoal Gray", "Rose Gold", "Forest Green"]
BRIGHT = ["Black", "White", "Sky Blue", "Crimson", "Olive Green", "Orange", "Purple", "Teal"]

ELECTRONICS = Category(
    "Electronics", "Electronics", "All Electronics",
    ("Voltix", "Auralink", "Nexora", "Brightwave", "Kestrel", "Zentro", "Pulsecore", "Lumitek",
     "Orbix", "Veyra", "Quantix", "Solara"),
    (
        _t("Wireless Mouse", ["Computers & Accessories", "Mice"],
           {"Color": BASIC, "Connectivity": ["Bluetooth", "2.4GHz Wireless", "Dual Mode"]},
           ["Mouse Pad", "Laptop Sleeve", "USB Hub"], ["office work", "gaming", "travel"], (9, 45)),
        _t("Mouse Pad", ["Computers & Accessories", "Mouse Pads"],
           {"Size": ["Medium", "Large", "Extended XL"], "Color": BASIC},
           ["Wireless Mouse", "Mechanical Keyboard"], ["gaming", "office work"], (6, 25)),
        _t("Mechanical Keyboard", ["Computers & Accessories", "Keyboards"],
           {"Switch Type": ["Blue Switches", "Brown Switches", "Linear Switches"],
            "Color": ["Black", "White", "Silver"], "Connectivity": ["Bluetooth", "USB Wired"]},
           ["Mouse Pad", "Wireless Mouse", "USB Hub"], ["gaming", "programming"], (35, 140)),
        _t("Bluetooth Headphones", ["Headphones", "Over-Ear Headphones"],
           {"Color": BASIC, "Battery Life": ["20-Hour", "30-Hour", "40-Hour", "60-Hour"]},
           ["Headphone Case", "USB-C Charging Cable"], ["travel", "workouts", "commuting"],
           (25, 180)),
        _t("Headphone Case", ["Headphones", "Accessories", "Cases"],
           {"Material": ["EVA", "Nylon", "Leather"], "Color": BASIC},
           ["Bluetooth Headphones"], ["travel", "storage"], (8, 22)),
        _t("USB-C Charging Cable", ["Accessories", "Cables"],
           {"Length": ["3 ft", "6 ft", "10 ft"], "Color": BASIC},
           ["Wall Charger", "Power Bank", "Bluetooth Headphones"], ["phones", "tablets"], (6, 18)),
        _t("Wall Charger", ["Accessories", "Chargers & Adapters"],
           {"Wattage": ["20W", "30W", "65W", "100W"], "Color": ["Black", "White"]},
           ["USB-C Charging Cable", "Power Bank"], ["phones", "laptops", "travel"], (12, 45)),
        _t("Power Bank", ["Accessories", "Portable Power Banks"],
           {"Capacity": ["5000mAh", "10000mAh", "20000mAh", "26800mAh"], "Color": BASIC},
           ["USB-C Charging Cable", "Wall Charger"], ["travel", "camping", "phones"], (15, 60)),
        _t("Laptop Sleeve", ["Computers & Accessories", "Laptop Accessories", "Bags"],
           {"Screen Size": ["13 inch", "14 inch", "15.6 inch", "17 inch"],
            "Material": ["Neoprene", "Polyester", "Felt"], "Color": BASIC},
           ["Wireless Mouse", "USB Hub"], ["students", "business travel"], (12, 35)),
        _t("USB Hub", ["Computers & Accessories", "USB Hubs"],
           {"Ports": ["4-Port", "7-Port", "10-Port"], "Color": ["Space Gray", "Black", "Silver"]},
           ["Laptop Sleeve", "USB-C Charging Cable"], ["laptops", "desktop setups"], (14, 50)),
        _t("Portable Speaker", ["Portable Audio & Video", "Speakers"],
           {"Color": BRIGHT, "Battery Life": ["12-Hour", "20-Hour", "24-Hour"],
            "Water Resistance": ["IPX5", "IPX7"]},
           ["USB-C Charging Cable", "Power Bank"], ["parties", "the beach", "showers"], (20, 120)),
    ),
)

HOME = Category(
    "Home_and_Kitchen", "Home & Kitchen", "Amazon Home",
    ("Hearthly", "Copperline", "Nestwell", "Kitchora", "Maple & Main", "Duraware", "Ovenia",
     "Cozyhaus", "Brightnest", "Sagewood", "Tidyhome", "Ferro"),
    (
        _t("Chef Knife", ["Kitchen & Dining", "Cutlery & Knife Accessories", "Chef's Knives"],
           {"Blade Length": ["6 inch", "8 inch", "10 inch"],
            "Material": ["Stainless Steel", "Damascus Steel", "Carbon Steel"]},
           ["Cutting Board", "Knife Sharpener"], ["home cooks", "professional chefs"], (18, 120)),
        _t("Cutting Board", ["Kitchen & Dining", "Kitchen Utensils & Gadgets", "Cutting Boards"],
           {"Material": ["Bamboo", "Acacia Wood", "Plastic"], "Size": ["Small", "Medium", "Large"]},
           ["Chef Knife", "Knife Sharpener"], ["meal prep", "serving cheese"], (12, 45)),
        _t("Knife Sharpener", ["Kitchen & Dining", "Cutlery & Knife Accessories", "Sharpeners"],
           {"Stages": ["2-Stage", "3-Stage", "4-Stage"], "Color": ["Black", "Red", "Gray"]},
           ["Chef Knife"], ["kitchen knives", "pocket knives"], (9, 35)),
        _t("Nonstick Frying Pan", ["Kitchen & Dining", "Cookware", "Skillets"],
           {"Size": ["8 inch", "10 inch", "12 inch"],
            "Material": ["Aluminum", "Cast Iron", "Hard-Anodized"], "Color": ["Black", "Gray"]},
           ["Silicone Spatula Set", "Mixing Bowl Set"], ["eggs", "everyday cooking"], (18, 70)),
        _t("Silicone Spatula Set", ["Kitchen & Dining", "Kitchen Utensils & Gadgets", "Spatulas"],
           {"Pieces": ["3-Piece", "5-Piece", "8-Piece"], "Color": BRIGHT},
           ["Nonstick Frying Pan", "Mixing Bowl Set"], ["baking", "nonstick cookware"], (8, 25)),
        _t("Mixing Bowl Set", ["Kitchen & Dining", "Bakeware", "Mixing Bowls"],
           {"Material": ["Stainless Steel", "Glass", "Melamine"], "Pieces": ["3-Piece", "5-Piece"]},
           ["Silicone Spatula Set", "Measuring Cups"], ["baking", "meal prep"], (15, 50)),
        _t("Measuring Cups", ["Kitchen & Dining", "Kitchen Utensils & Gadgets", "Measuring Tools"],
           {"Material": ["Stainless Steel", "Plastic", "Copper"], "Pieces": ["4-Piece", "7-Piece"]},
           ["Mixing Bowl Set"], ["baking", "cooking"], (7, 25)),
        _t("Coffee Maker", ["Kitchen & Dining", "Coffee, Tea & Espresso", "Coffee Machines"],
           {"Capacity": ["5-Cup", "10-Cup", "12-Cup"], "Color": ["Black", "Stainless", "White"]},
           ["Coffee Filters", "Travel Mug"], ["busy mornings", "the office"], (25, 150)),
        _t("Coffee Filters", ["Kitchen & Dining", "Coffee, Tea & Espresso", "Coffee Filters"],
           {"Count": ["100-Count", "200-Count", "500-Count"], "Filter Size": ["#2", "#4", "Basket"]},
           ["Coffee Maker"], ["drip coffee makers", "pour-over"], (5, 15)),
        _t("Travel Mug", ["Kitchen & Dining", "Dining & Entertaining", "Travel Mugs"],
           {"Capacity": ["12 oz", "16 oz", "20 oz"], "Material": ["Stainless Steel", "Ceramic"],
            "Color": BRIGHT},
           ["Coffee Maker"], ["commuting", "road trips"], (10, 35)),
        _t("Bath Towel Set", ["Bath", "Towels", "Towel Sets"],
           {"Material": ["Cotton", "Microfiber", "Bamboo Rayon"], "Pieces": ["4-Piece", "6-Piece"],
            "Color": ["White", "Gray", "Navy Blue", "Sage"]},
           ["Shower Curtain"], ["guest bathrooms", "everyday use"], (20, 70)),
        _t("Shower Curtain", ["Bath", "Shower Curtains & Accessories", "Shower Curtains"],
           {"Size": ["72 x 72 inch", "70 x 84 inch"], "Color": ["White", "Gray", "Sage", "Beige"]},
           ["Bath Towel Set"], ["bathrooms", "clawfoot tubs"], (12, 40)),
    ),
)

SPORTS = Category(
    "Sports_and_Outdoors", "Sports & Outdoors", "Sports & Outdoors",
    ("Trailpeak", "Summitra", "Ironpath", "Ridgeline", "Aquaflex", "Kinetiq", "Northbound",
     "Stridex", "Coreforma", "Bluecrest", "Wildsprout", "Vantor"),
    (
        _t("Yoga Mat", ["Sports & Fitness", "Exercise & Fitness", "Yoga", "Mats"],
           {"Thickness": ["1/4 inch", "1/2 inch", "6mm"], "Material": ["TPE", "PVC", "Natural Rubber"],
            "Color": BRIGHT},
           ["Yoga Block", "Yoga Strap"], ["hot yoga", "pilates", "home workouts"], (15, 70)),
        _t("Yoga Block", ["Sports & Fitness", "Exercise & Fitness", "Yoga", "Blocks"],
           {"Material": ["EVA Foam", "Cork"], "Pieces": ["1-Pack", "2-Pack"], "Color": BRIGHT},
           ["Yoga Mat", "Yoga Strap"], ["yoga", "stretching"], (8, 25)),
        _t("Yoga Strap", ["Sports & Fitness", "Exercise & Fitness", "Yoga", "Straps"],
           {"Length": ["6 ft", "8 ft", "10 ft"], "Color": BRIGHT},
           ["Yoga Mat", "Yoga Block"], ["stretching", "physical therapy"], (6, 15)),
        _t("Resistance Bands Set", ["Sports & Fitness", "Exercise & Fitness", "Strength Training"],
           {"Resistance Level": ["Light", "Medium", "Heavy"], "Pieces": ["5-Piece", "11-Piece"]},
           ["Yoga Mat", "Adjustable Dumbbell"], ["home workouts", "physical therapy"], (12, 40)),
        _t("Adjustable Dumbbell", ["Sports & Fitness", "Exercise & Fitness", "Dumbbells"],
           {"Weight": ["25 lb", "52.5 lb", "90 lb"], "Color": ["Black", "Red", "Gray"]},
           ["Weight Bench", "Resistance Bands Set"], ["home gyms", "strength training"],
           (60, 350)),
        _t("Weight Bench", ["Sports & Fitness", "Exercise & Fitness", "Benches"],
           {"Weight Capacity": ["600 lb", "800 lb", "1000 lb"], "Color": ["Black", "Red", "Gray"]},
           ["Adjustable Dumbbell"], ["home gyms", "bench press"], (80, 300)),
        _t("Camping Tent", ["Outdoor Recreation", "Camping & Hiking", "Tents"],
           {"Capacity": ["2-Person", "4-Person", "6-Person"], "Season": ["3-Season", "4-Season"],
            "Color": ["Green", "Orange", "Gray", "Blue"]},
           ["Sleeping Bag", "Camping Lantern"], ["family camping", "backpacking"], (50, 300)),
        _t("Sleeping Bag", ["Outdoor Recreation", "Camping & Hiking", "Sleeping Bags"],
           {"Temperature Rating": ["20 Degree", "30 Degree", "40 Degree"],
            "Color": ["Green", "Orange", "Navy Blue", "Gray"]},
           ["Camping Tent", "Camping Lantern"], ["cold weather camping", "backpacking"], (30, 150)),
        _t("Camping Lantern", ["Outdoor Recreation", "Camping & Hiking", "Lights & Lanterns"],
           {"Brightness": ["500 Lumen", "1000 Lumen", "1800 Lumen"],
            "Power Source": ["Battery Powered", "Rechargeable", "Solar"]},
           ["Camping Tent", "Sleeping Bag"], ["camping", "power outages"], (15, 60)),
        _t("Insulated Water Bottle", ["Outdoor Recreation", "Accessories", "Water Bottles"],
           {"Capacity": ["24 oz", "32 oz", "40 oz"], "Color": BRIGHT},
           ["Hiking Backpack"], ["hiking", "the gym", "school"], (15, 45)),
        _t("Hiking Backpack", ["Outdoor Recreation", "Camping & Hiking", "Backpacks"],
           {"Capacity": ["20L", "40L", "65L"], "Color": ["Black", "Green", "Orange", "Gray"]},
           ["Insulated Water Bottle", "Trekking Poles"], ["day hikes", "backpacking"], (30, 180)),
        _t("Trekking Poles", ["Outdoor Recreation", "Camping & Hiking", "Trekking Poles"],
           {"Material": ["Aluminum", "Carbon Fiber"], "Color": ["Black", "Blue", "Red"]},
           ["Hiking Backpack"], ["hiking", "snowshoeing"], (25, 120)),
    ),
)

TOOLS = Category(
    "Tools_and_Home_Improvement", "Tools & Home Improvement", "Tools & Home Improvement",
    ("Forgeline", "Torqmax", "Ironclad", "Buildright", "Stanmore", "Voltcraft", "Hexbolt",
     "Gridworks", "Rivetta", "Crestool", "Ampere", "Steelhawk"),
    (
        _t("Cordless Drill", ["Power & Hand Tools", "Power Tools", "Drills"],
           {"Voltage": ["12V", "18V", "20V"], "Color": ["Yellow", "Red", "Blue", "Teal"]},
           ["Drill Bit Set", "Spare Battery"], ["home repairs", "woodworking"], (45, 200)),
        _t("Drill Bit Set", ["Power & Hand Tools", "Power Tool Accessories", "Drill Bits"],
           {"Pieces": ["29-Piece", "50-Piece", "100-Piece"],
            "Material": ["Titanium", "Cobalt", "Black Oxide"]},
           ["Cordless Drill"], ["metal", "wood and plastic"], (15, 60)),
        _t("Spare Battery", ["Power & Hand Tools", "Power Tool Accessories", "Batteries"],
           {"Voltage": ["12V", "18V", "20V"], "Capacity": ["2.0Ah", "4.0Ah", "5.0Ah"]},
           ["Cordless Drill", "Battery Charger"], ["cordless tools"], (30, 120)),
        _t("Battery Charger", ["Power & Hand Tools", "Power Tool Accessories", "Chargers"],
           {"Voltage": ["12V", "18V", "20V"], "Charging Speed": ["Standard", "Rapid"]},
           ["Spare Battery"], ["cordless tools"], (25, 80)),
        _t("Claw Hammer", ["Power & Hand Tools", "Hand Tools", "Hammers"],
           {"Weight": ["16 oz", "20 oz", "22 oz"],
            "Handle Material": ["Fiberglass", "Hickory", "Steel"]},
           ["Tool Bag", "Screwdriver Set"], ["framing", "general carpentry"], (12, 45)),
        _t("Tool Bag", ["Power & Hand Tools", "Tool Organizers", "Tool Bags"],
           {"Size": ["12 inch", "16 inch", "20 inch"], "Material": ["Canvas", "Ballistic Nylon"]},
           ["Claw Hammer", "Screwdriver Set", "Tape Measure"], ["electricians", "job sites"],
           (18, 70)),
        _t("Screwdriver Set", ["Power & Hand Tools", "Hand Tools", "Screwdrivers"],
           {"Pieces": ["6-Piece", "10-Piece", "42-Piece"], "Tip": ["Magnetic", "Precision"]},
           ["Tool Bag", "Claw Hammer"], ["electronics repair", "furniture assembly"], (10, 45)),
        _t("Tape Measure", ["Measuring & Layout Tools", "Tape Measures"],
           {"Length": ["16 ft", "25 ft", "35 ft"], "Color": ["Yellow", "Black", "Orange"]},
           ["Laser Level", "Tool Bag"], ["contractors", "DIY projects"], (8, 30)),
        _t("Laser Level", ["Measuring & Layout Tools", "Levels"],
           {"Beam Color": ["Green Beam", "Red Beam"], "Line Type": ["Cross Line", "360 Degree"]},
           ["Tape Measure"], ["hanging pictures", "tiling"], (30, 150)),
        _t("LED Work Light", ["Lighting & Ceiling Fans", "Work Lights"],
           {"Brightness": ["2000 Lumen", "5000 Lumen", "10000 Lumen"],
            "Power Source": ["Corded", "Rechargeable"]},
           ["Extension Cord"], ["garages", "job sites"], (20, 90)),
        _t("Extension Cord", ["Electrical", "Extension Cords"],
           {"Length": ["25 ft", "50 ft", "100 ft"], "Gauge": ["12 Gauge", "14 Gauge", "16 Gauge"],
            "Color": ["Orange", "Green", "Yellow"]},
           ["LED Work Light"], ["outdoor use", "power tools"], (15, 70)),
    ),
)

BEAUTY = Category(
    "Beauty", "Beauty & Personal Care", "All Beauty",
    ("Lumiere", "Dewlane", "Purava", "Velvetine", "Glowhaus", "Serenne", "Aurelle", "Mistral",
     "Bloomcraft", "Oaklea", "Radiance Lab", "Softfern"),
    (
        _t("Face Moisturizer", ["Skin Care", "Face", "Creams & Moisturizers"],
           {"Skin Type": ["Dry Skin", "Oily Skin", "Sensitive Skin"], "Size": ["1.7 oz", "2.5 oz"],
            "Scent": ["Unscented", "Lavender", "Cucumber"]},
           ["Facial Cleanser", "Face Serum"], ["daily hydration", "night care"], (12, 60)),
        _t("Facial Cleanser", ["Skin Care", "Face", "Cleansers"],
           {"Skin Type": ["Dry Skin", "Oily Skin", "Acne-Prone Skin"], "Size": ["6 oz", "8 oz"]},
           ["Face Moisturizer", "Face Serum"], ["daily cleansing", "removing makeup"], (8, 30)),
        _t("Face Serum", ["Skin Care", "Face", "Serums"],
           {"Key Ingredient": ["Vitamin C", "Hyaluronic Acid", "Retinol", "Niacinamide"],
            "Size": ["1 oz", "2 oz"]},
           ["Face Moisturizer", "Facial Cleanser"], ["dark spots", "fine lines"], (15, 70)),
        _t("Shampoo", ["Hair Care", "Shampoo & Conditioner", "Shampoos"],
           {"Hair Type": ["Curly Hair", "Color-Treated Hair", "Fine Hair"],
            "Scent": ["Coconut", "Argan Oil", "Tea Tree"], "Size": ["12 oz", "16 oz"]},
           ["Conditioner"], ["daily washing", "dry scalp"], (8, 30)),
        _t("Conditioner", ["Hair Care", "Shampoo & Conditioner", "Conditioners"],
           {"Hair Type": ["Curly Hair", "Color-Treated Hair", "Fine Hair"],
            "Scent": ["Coconut", "Argan Oil", "Tea Tree"], "Size": ["12 oz", "16 oz"]},
           ["Shampoo"], ["detangling", "frizz control"], (8, 30)),
        _t("Lipstick", ["Makeup", "Lips", "Lipstick"],
           {"Shade": ["Ruby Red", "Nude Beige", "Berry Wine", "Coral Pink"],
            "Finish": ["Matte", "Satin", "Gloss"]},
           ["Lip Liner"], ["everyday wear", "evening looks"], (7, 30)),
        _t("Lip Liner", ["Makeup", "Lips", "Lip Liners"],
           {"Shade": ["Ruby Red", "Nude Beige", "Berry Wine", "Coral Pink"]},
           ["Lipstick"], ["defining lips"], (5, 18)),
        _t("Nail Polish", ["Foot, Hand & Nail Care", "Nail Art & Polish", "Nail Polish"],
           {"Shade": ["Cherry Red", "Ballet Pink", "Midnight Blue", "Classic Nude"],
            "Finish": ["Glossy", "Matte", "Shimmer"]},
           ["Makeup Brush Set"], ["manicures", "pedicures"], (5, 15)),
        _t("Makeup Brush Set", ["Tools & Accessories", "Makeup Brushes & Tools", "Brush Sets"],
           {"Pieces": ["10-Piece", "14-Piece", "18-Piece"],
            "Bristle Material": ["Synthetic", "Goat Hair"]},
           ["Makeup Sponge"], ["foundation", "eyeshadow"], (10, 45)),
        _t("Makeup Sponge", ["Tools & Accessories", "Makeup Brushes & Tools", "Sponges"],
           {"Pack": ["4-Pack", "6-Pack", "12-Pack"], "Color": ["Pink", "Purple", "Orange"]},
           ["Makeup Brush Set"], ["liquid foundation", "concealer"], (6, 18)),
    ),
)

TOYS = Category(
    "Toys_and_Games", "Toys & Games", "Toys & Games",
    ("Playnest", "Brickwise", "Tinker Town", "Jollyjam", "Wonderloop", "Kidzora", "Funforge",
     "Puzzlemoor", "Starcub", "Gigglebox", "Bramble", "Pixiepop"),
    (
        _t("Building Blocks Set", ["Building Toys", "Building Sets"],
           {"Pieces": ["300-Piece", "500-Piece", "1000-Piece"],
            "Theme": ["Castle", "Space Station", "City Fire Rescue"],
            "Age Range": ["Ages 6+", "Ages 8+"]},
           ["Toy Storage Bin"], ["creative play", "STEM learning"], (20, 90)),
        _t("Toy Storage Bin", ["Kids' Furniture", "Toy Storage"],
           {"Size": ["Small", "Medium", "Large"], "Color": BRIGHT},
           ["Building Blocks Set", "Plush Teddy Bear"], ["playrooms", "bedrooms"], (12, 40)),
        _t("Jigsaw Puzzle", ["Puzzles", "Jigsaw Puzzles"],
           {"Pieces": ["500-Piece", "1000-Piece", "2000-Piece"],
            "Theme": ["Mountain Landscape", "Wild Animals", "World Map"]},
           ["Puzzle Mat"], ["family game night", "adults"], (10, 30)),
        _t("Puzzle Mat", ["Puzzles", "Puzzle Accessories"],
           {"Size": ["Standard", "Extra Large"], "Material": ["Felt", "Neoprene"]},
           ["Jigsaw Puzzle"], ["puzzle storage"], (12, 35)),
        _t("Remote Control Car", ["Remote & App Controlled Vehicles", "Cars"],
           {"Scale": ["1:16", "1:24", "1:10"], "Color": ["Red", "Blue", "Green", "Yellow"]},
           ["Rechargeable Batteries"], ["kids", "off-road racing"], (25, 120)),
        _t("Rechargeable Batteries", ["Toy Accessories", "Batteries"],
           {"Battery Size": ["AA", "AAA"], "Pack": ["4-Pack", "8-Pack", "16-Pack"]},
           ["Remote Control Car"], ["toys", "remote controls"], (9, 30)),
        _t("Plush Teddy Bear", ["Stuffed Animals & Plush Toys", "Teddy Bears"],
           {"Size": ["12 inch", "18 inch", "36 inch"], "Color": ["Brown", "Cream", "Pink", "Gray"]},
           ["Toy Storage Bin"], ["toddlers", "Valentine's Day gifts"], (10, 50)),
        _t("Board Game", ["Games", "Board Games"],
           {"Players": ["2-4 Players", "2-6 Players", "3-8 Players"],
            "Age Range": ["Ages 8+", "Ages 10+", "Ages 14+"]},
           ["Card Sleeves"], ["family game night", "parties"], (15, 55)),
        _t("Card Sleeves", ["Games", "Game Accessories"],
           {"Count": ["100-Count", "200-Count"], "Color": ["Clear", "Black", "Blue"]},
           ["Board Game"], ["protecting game cards"], (5, 15)),
        _t("Art Supplies Kit", ["Arts & Crafts", "Drawing & Painting Supplies"],
           {"Pieces": ["80-Piece", "150-Piece", "240-Piece"], "Age Range": ["Ages 4+", "Ages 8+"]},
           ["Drawing Pad"], ["young artists", "birthday gifts"], (15, 45)),
        _t("Drawing Pad", ["Arts & Crafts", "Drawing & Painting Supplies", "Sketchbooks"],
           {"Size": ["9 x 12 inch", "11 x 14 inch"], "Sheets": ["50 Sheets", "100 Sheets"]},
           ["Art Supplies Kit"], ["sketching", "watercolor"], (6, 20)),
    ),
)

# fmt: on

CATEGORIES: tuple[Category, ...] = (ELECTRONICS, HOME, SPORTS, TOOLS, BEAUTY, TOYS)
# The paper's held-out category; the sample's sources.toml marks it as OOD.
OOD_CATEGORY = TOOLS

# Flattened type table: global type index -> (category index, type).
TYPES: tuple[tuple[int, ProductType], ...] = tuple(
    (ci, t) for ci, c in enumerate(CATEGORIES) for t in c.types
)
TYPE_INDEX: dict[tuple[int, str], int] = {(ci, t.name): g for g, (ci, t) in enumerate(TYPES)}
MAX_SLOTS = max(len(t.attrs) for _, t in TYPES)
N_BRANDS = 12  # brands per category; catalogues draw brand indices in range(N_BRANDS)
assert all(len(c.brands) == N_BRANDS for c in CATEGORIES)

# Locale words for the non-US ESCI rows (colour and a few type words), enough for queries
# that look like their locale without a translation table per type.
# fmt: off
LOCALE_COLORS = {
    "es": {"Black": "negro", "White": "blanco", "Red": "rojo", "Blue": "azul", "Gray": "gris",
           "Green": "verde", "Pink": "rosa", "Orange": "naranja", "Yellow": "amarillo"},
    "jp": {"Black": "ブラック", "White": "ホワイト", "Red": "レッド", "Blue": "ブルー",
           "Gray": "グレー", "Green": "グリーン", "Pink": "ピンク", "Orange": "オレンジ",
           "Yellow": "イエロー"},
}
# fmt: on
