"""The words of ``pipeline demo``: made-up people and suppliers, and the kind of projects
council digital teams published in 2014. Every name here is invented; any likeness to a
real person or company is chance."""

from __future__ import annotations

from typing import NamedTuple

FIRST_NAMES = (
    "Aisha", "Alan", "Alison", "Amir", "Andrew", "Angela", "Bethan", "Carl", "Catherine", "Chloe",
    "Chris", "Claire", "Craig", "Daniel", "David", "Deborah", "Dylan", "Eleanor", "Emma", "Fiona",
    "Gareth", "Gemma", "Graham", "Hannah", "Harpreet", "Helen", "Ian", "Imran", "Jack", "James",
    "Jane", "Jasmine", "Jennifer", "Joanne", "John", "Karen", "Kate", "Kevin", "Laura", "Lee",
    "Linda", "Lisa", "Mark", "Martin", "Megan", "Michael", "Mohammed", "Nadia", "Neil", "Nicola",
    "Owen", "Paul", "Priya", "Rachel", "Rhys", "Richard", "Rob", "Ruth", "Sally", "Sam",
    "Sarah", "Scott", "Shona", "Simon", "Siobhan", "Sophie", "Stephen", "Stuart", "Tom", "Tracey",
    "Usman", "Vicky", "Wendy", "Yasmin", "Zoe",
)  # fmt: skip

SURNAMES = (
    "Ahmed", "Allen", "Bailey", "Baker", "Bell", "Bennett", "Brown", "Campbell", "Carter", "Chapman",
    "Clarke", "Collins", "Cooper", "Davies", "Dixon", "Edwards", "Evans", "Fletcher", "Foster", "Gill",
    "Graham", "Green", "Hall", "Harris", "Hughes", "Hussain", "Jackson", "James", "Jenkins", "Johnson",
    "Jones", "Kaur", "Kelly", "Khan", "King", "Lewis", "Lloyd", "MacDonald", "Marshall", "Mason",
    "Mitchell", "Moore", "Morgan", "Morris", "Murray", "Murphy", "O'Brien", "Owen", "Parker", "Patel",
    "Pearson", "Phillips", "Price", "Reid", "Richards", "Roberts", "Robertson", "Robinson", "Scott", "Shaw",
    "Singh", "Smith", "Stewart", "Taylor", "Thomas", "Thompson", "Turner", "Walker", "Watson", "White",
    "Williams", "Wilson", "Wood", "Wright", "Young",
)  # fmt: skip

COUNCIL_JOBS = (
    "Head of Digital", "Digital Services Manager", "Web Manager", "Web Developer", "Developer",
    "Business Analyst", "Service Designer", "ICT Manager", "Customer Services Manager",
    "Delivery Manager", "Content Designer", "Transformation Lead", "Systems Analyst",
    "Channel Shift Officer", "Head of Customer Access",
)  # fmt: skip

SUPPLIER_JOBS = ("Director", "Account Manager", "Lead Developer", "User Researcher", "Consultant")

# Made-up suppliers; their addresses are on reserved ``.example`` domains, which no mail reaches.
SUPPLIERS = (
    ("Kestrel Forms Ltd", "kestrelforms.example"),
    ("Brightwater Digital Ltd", "brightwater-digital.example"),
    ("Open Ledger Cooperative", "openledger.example"),
    ("Northgate Lane Software", "northgatelane.example"),
    ("Civic Tin Ltd", "civictin.example"),
    ("Hollybush Data Services", "hollybushdata.example"),
    ("Farthing Web Studio", "farthingweb.example"),
    ("Quarry Hill Consulting", "quarryhill.example"),
    ("Lanternfish Research", "lanternfish.example"),
    ("Saltmarsh Systems LLP", "saltmarsh.example"),
    ("Bluebell Hosting Ltd", "bluebellhosting.example"),
    ("Copperbeech Usability", "copperbeech.example"),
)


class Idea(NamedTuple):
    title: str
    summary: str
    tags: tuple[str, ...]
    department: str


IDEAS = (
    Idea("Report a pothole", "Residents report potholes with a map pin and a photo, and see when they "
         "will be fixed.", ("highways", "reporting", "maps"), "Highways"),
    Idea("Book a bulky waste collection", "Choose items, pay and pick a collection day online instead "
         "of phoning the contact centre.", ("waste", "booking", "payments"), "Waste services"),
    Idea("Apply for a resident parking permit", "One online form for new and renewed permits, with "
         "proof of address checked by the service.", ("parking", "permits", "payments"), "Parking"),
    Idea("Missed bin reporting", "Tell us your bin was missed; the crew's round data decides whether "
         "we come back.", ("waste", "reporting"), "Waste services"),
    Idea("Garden waste subscriptions", "Sign up and pay for the brown bin service each year, with "
         "reminders before renewal.", ("waste", "payments", "subscriptions"), "Waste services"),
    Idea("Council tax single person discount", "Claim or end the discount online, with the "
         "evidence checks done in the background.", ("council tax", "revenues"), "Revenues and benefits"),
    Idea("Council tax e-billing", "Residents choose to receive their bill by email and see "
         "instalments in their account.", ("council tax", "revenues", "accounts"), "Revenues and benefits"),
    Idea("Blue badge applications", "Apply, upload a photo and track the application for a disabled "
         "parking badge.", ("blue badge", "social care", "forms"), "Adult social care"),
    Idea("Free school meals eligibility checker", "Parents check eligibility in minutes using the "
         "DWP eligibility service.", ("education", "eligibility"), "Children's services"),
    Idea("School admissions online", "Apply for primary and secondary places and receive offers "
         "online.", ("education", "forms"), "Children's services"),
    Idea("Report fly-tipping", "Report dumped rubbish with a location and photo; enforcement sees "
         "hotspots on a map.", ("environment", "reporting", "maps"), "Environmental services"),
    Idea("Street lighting faults", "Report a broken street light by its column number or on a "
         "map.", ("highways", "reporting", "maps"), "Highways"),
    Idea("Comment on a planning application", "Read documents and comment on live planning "
         "applications without registering.", ("planning", "consultation"), "Planning"),
    Idea("Housing repairs reporting", "Tenants report repairs, book an appointment and get text "
         "reminders.", ("housing", "reporting", "booking"), "Housing"),
    Idea("Renew library books online", "A mobile-friendly way to renew, reserve and pay fines.",
         ("libraries", "mobile"), "Libraries"),
    Idea("Taxi licence renewals", "Drivers renew hackney and private hire licences online with "
         "document upload.", ("licensing", "forms", "payments"), "Licensing"),
    Idea("Register a birth appointment booking", "Book a registration appointment at a time that "
         "suits the family.", ("registrars", "booking"), "Registration services"),
    Idea("Local welfare assistance", "Apply for crisis support with a short, plain-language "
         "form.", ("benefits", "forms"), "Revenues and benefits"),
    Idea("Pest control booking", "Book and pay for pest treatments online.", ("environment", "booking",
         "payments"), "Environmental services"),
    Idea("Open data portal", "Publish spending, contracts and services data under the Open "
         "Government Licence.", ("open data", "transparency"), "ICT"),
    Idea("Adult social care self-assessment", "An online needs self-assessment that routes "
         "people to the right support.", ("social care", "forms"), "Adult social care"),
    Idea("Care home finder", "Search local care homes with vacancies, inspection ratings and "
         "fees.", ("social care", "directory"), "Adult social care"),
    Idea("Single customer account", "One sign-in for council services, with a record of requests "
         "made.", ("accounts", "identity", "channel shift"), "Customer services"),
    Idea("Web content style guide", "A shared style guide for plain-English council web content.",
         ("content", "standards"), "Communications"),
    Idea("Website accessibility audit", "Audit and fix the main council site against WCAG 2.0 "
         "AA.", ("accessibility", "standards"), "ICT"),
    Idea("Electoral registration under IER", "Help residents register individually and check "
         "their status.", ("elections", "forms"), "Electoral services"),
    Idea("Business rates relief applications", "Small businesses apply for rate relief online.",
         ("business rates", "revenues", "forms"), "Revenues and benefits"),
    Idea("Apply for a dropped kerb", "Check eligibility, apply and pay for a vehicle crossing.",
         ("highways", "forms", "payments"), "Highways"),
    Idea("Housing register application", "Apply to join the housing register and see your band.",
         ("housing", "forms"), "Housing"),
    Idea("Find your bin day", "Enter a postcode to see collection days and add them to a "
         "calendar.", ("waste", "postcodes", "calendar"), "Waste services"),
    Idea("Noise complaints", "Report noise nuisance and keep a diary online.", ("environment",
         "reporting"), "Environmental services"),
    Idea("Book a tip permit", "Residents with vans book a permit for the household recycling "
         "centre.", ("waste", "permits", "booking"), "Waste services"),
    Idea("Apply for a school transport pass", "Parents apply for home-to-school transport.",
         ("education", "transport", "forms"), "Children's services"),
    Idea("Public toilets map", "Open data on public toilets, their hours and accessibility.",
         ("open data", "maps", "accessibility"), "ICT"),
    Idea("Chatbot for council tax questions", "Try answering common council tax questions "
         "through web chat.", ("council tax", "web chat", "channel shift"), "Customer services"),
    Idea("GOV.UK Verify pilot", "Try the government identity assurance service for a council "
         "service.", ("identity", "accounts"), "ICT"),
    Idea("Local offer for SEND", "The special educational needs local offer as a searchable "
         "directory.", ("education", "directory", "send"), "Children's services"),
    Idea("Tell us once", "Report a death once to every council service that needs to know.",
         ("registrars", "data sharing"), "Registration services"),
    Idea("Allotment waiting list", "Join the allotment waiting list and see your place.",
         ("parks", "forms"), "Parks and open spaces"),
    Idea("Footpath and rights of way faults", "Report blocked paths and broken stiles on a "
         "map.", ("highways", "maps", "reporting"), "Countryside"),
    Idea("Pay a parking fine", "Pay or challenge a penalty charge notice online.", ("parking",
         "payments"), "Parking"),
    Idea("Cloud hosting for council websites", "Move the main website from on-premises servers "
         "to shared cloud hosting.", ("hosting", "infrastructure"), "ICT"),
    Idea("Shared address gazetteer API", "Expose the local land and property gazetteer as an API "
         "for other services.", ("addresses", "api", "open data"), "ICT"),
    Idea("Event and road closure notices", "Publish temporary road closures as open data and on "
         "a map.", ("highways", "open data", "maps"), "Highways"),
    Idea("Apply for a street party", "A simple form for residents planning a street party.",
         ("highways", "events", "forms"), "Highways"),
    Idea("Digital inclusion programme", "Help residents get online through libraries and "
         "volunteers.", ("digital inclusion", "libraries"), "Libraries"),
)  # fmt: skip

STATUS_UPDATES = (
    "Discovery interviews done with twelve residents; the main pain point is not knowing what happens next.",
    "Prototype tested in the library with eight people; the address step confused half of them.",
    "We have a supplier demo booked next week and would welcome another council joining us.",
    "Paused while the team supports the elections; back on it next month.",
    "Beta is live for one ward; 40% of requests now come in online.",
    "Business case approved by the digital board.",
    "Sharing our user research findings on the LocalGov Digital blog.",
    "Integration with the back-office system is harder than expected; looking at options.",
    "Content rewritten in plain English with the service team.",
    "Going to service assessment with our internal panel in a fortnight.",
)

NEED_COMMENTS = (
    "We need this too: our contact centre takes a lot of these calls.",
    "Same problem here; we would happily share requirements.",
    None,
    "On our roadmap for next year.",
)

REQUEST_MESSAGES = (
    "Our team could help with user research in our area.",
    "We built something similar last year and would like to join in.",
    "Happy to test the prototype with our residents.",
    None,
)

PLEDGE_MESSAGES = (
    "Subject to our digital board's approval.",
    "We can lend a developer for a sprint.",
    None,
    "Our user researcher can run sessions here.",
)
